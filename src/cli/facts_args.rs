//! The facts settings on the command line (each with its `IJWMO_*` variable).

use ijwmo::facts::{FactsConfig, FactsEngine};

#[derive(Debug, Clone, clap::Args)]
pub struct FactsArgs {
    /// Secret key of the BSN pseudonym (at least 16 bytes); the same key as the service's.
    #[arg(
        long,
        value_name = "SECRET",
        env = "IJWMO_PSEUDONYM_KEY",
        hide_env_values = true
    )]
    pub pseudonym_key: String,
    /// Extra closed days besides the national holidays, comma-separated (YYYY-MM-DD).
    #[arg(
        long,
        value_name = "DATES",
        env = "IJWMO_CLOSED_DAYS",
        value_delimiter = ','
    )]
    pub closed_days: Vec<chrono::NaiveDate>,
    /// Declaration term: end-of-month+N or working-days+N.
    #[arg(
        long,
        value_name = "TERM",
        env = "IJWMO_DECLARATIE_TERMIJN",
        default_value = "end-of-month+1"
    )]
    pub declaratie_termijn: String,
    /// Move an end-of-month declaration term off a weekend day or holiday to the next working
    /// day (the service's setting; by default it stays on the last day of the month).
    #[arg(long, env = "IJWMO_DECLARATIE_NAAR_WERKDAG")]
    pub declaratie_naar_werkdag: bool,
    /// First day timeliness is measured (go-live, YYYY-MM-DD); the same as the service's.
    #[arg(long, value_name = "DATE", env = "IJWMO_MEASURE_FROM")]
    pub measure_from: Option<chrono::NaiveDate>,
}

impl FactsArgs {
    pub fn config(&self) -> FactsConfig {
        FactsConfig {
            pseudonym_key: self.pseudonym_key.clone(),
            closed_days: self.closed_days.clone(),
            declaratie_termijn: self.declaratie_termijn.clone(),
            declaratie_naar_werkdag: self.declaratie_naar_werkdag,
            measure_from: self.measure_from,
            ..FactsConfig::default()
        }
    }

    pub fn engine(&self) -> anyhow::Result<FactsEngine> {
        Ok(FactsEngine::from_config(&self.config())?)
    }
}
