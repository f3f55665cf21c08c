//! `summary.json`: what the generator put in, stated precisely enough that a test can check that
//! the service's facts find exactly that. Nothing in it identifies a person: allocations,
//! declarations and lines are named by ToewijzingNummer, DeclaratieNummer and ReferentieNummer,
//! never by BSN.

use super::world::Profile;
use serde::Serialize;
use std::collections::BTreeMap;

/// Rule code of the regional declaration term (the standard leaves the term to the regional
/// agreement, so it has no OP code; the facts use the same code).
pub const DECLARATION_DEADLINE: &str = "REGIO-DECL";

#[derive(Debug, Default, Serialize)]
pub struct Summary {
    pub generator: Run,
    /// How dates and deadlines were computed.
    pub conventions: Conventions,
    pub totals: Totals,
    /// Every obligation of the window met late: starts (OP271) and stops (OP272) per message,
    /// declarations (REGIO-DECL) per allocation and month of care.
    pub late: Vec<Late>,
    /// Deliveries that ended with their allocation and never got a definitive stop (307): the
    /// only obligations of the window that are never met.
    pub missing_stops: Vec<MissingStop>,
    /// Declaration lines whose tariff is not the contract tariff (expected retour code 0611),
    /// each sent again with the right tariff in the provider's next declaration.
    pub tariff_errors: Vec<TariffError>,
    /// Declaration lines over the allocated volume (9321 for one period, 9322 cumulative),
    /// each sent again within the allocation in the provider's next declaration.
    pub volume_overruns: Vec<Overrun>,
    /// Credits of approved lines and the corrected lines that followed.
    pub corrections: Vec<Correction>,
    /// Files that are not valid messages, each sent before the valid message it precedes.
    pub malformed: Vec<Malformed>,
    /// The provider whose budget ceiling the realisation crosses (`ijwmo stats budget` warns
    /// of it, with the ceiling month realised); no other provider reaches its ceiling.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget_overrun: Option<BudgetOverrun>,
    pub providers: Vec<ProviderSummary>,
    /// Long waits for care (issue 11, item 1): at the providers listed, the first start of
    /// every allocation of the window with room for it comes `long_wait_days` later than usual.
    /// Every other allocation starts at most 38 days after its Ingangsdatum (10 for the main
    /// product, 7–28 more for a secondary one), so these are exactly the waits from the
    /// Ingangsdatum over 38 days.
    pub long_wait_providers: Vec<String>,
    pub long_wait_days: i64,
    pub long_waits: Vec<LongWait>,
    /// The group of 17-year-olds (issue 11, item 5): every fourth Jeugdwet client of the window
    /// is 17 on the day the episode begins, so turns 18 within a year; their allocations.
    pub seventeen: Vec<Seventeen>,
}

/// One allocation whose first start was put off (a long wait).
#[derive(Debug, Clone, Serialize)]
pub struct LongWait {
    pub toewijzing_nummer: u32,
    pub provider: String,
    pub gemeente: String,
    /// The allocation's Ingangsdatum and the Begindatum of its first start (305).
    pub ingangsdatum: String,
    pub begindatum: String,
    pub days_from_ingang: i64,
}

/// One allocation of a client of the group of 17-year-olds.
#[derive(Debug, Clone, Serialize)]
pub struct Seventeen {
    pub toewijzing_nummer: u32,
    pub provider: String,
    pub gemeente: String,
    /// The month of the client's 18th birthday (YYYY-MM), all the facts may keep.
    pub turns_18_month: String,
}

/// A provider heading over its yearly budget ceiling.
#[derive(Debug, Clone, Serialize)]
pub struct BudgetOverrun {
    pub provider: String,
    /// The calendar year of care the ceiling is crossed in.
    pub year: i32,
    /// The lowered ceiling (eurocents): a quarter of what the provider declared in the year.
    pub budgetplafond: i64,
    /// What the provider declared for care in that year (eurocents, debits less credits,
    /// rejected lines and their resubmissions included).
    pub declared_cents: i64,
}

#[derive(Debug, Default, Serialize)]
pub struct Run {
    pub seed: u64,
    pub months: u32,
    pub scale: f64,
    /// First day of the window (inclusive) and first day after it (exclusive), YYYY-MM-DD.
    pub window_from: String,
    pub window_until: String,
    /// Receipt moments before `window_from` belong to the history: allocations already running
    /// when the window opens, with their 301, 302 and 305.
    pub history_messages: u64,
    pub files: u64,
    pub seconds: f64,
}

#[derive(Debug, Serialize)]
pub struct Conventions {
    pub receipt: &'static str,
    pub working_days: &'static str,
    pub start_deadline: &'static str,
    pub stop_deadline: &'static str,
    pub declaration_deadline: &'static str,
    pub window: &'static str,
    pub money: &'static str,
}

impl Default for Conventions {
    fn default() -> Self {
        Conventions {
            receipt: "received_at is the file's modification time and the manifest's received_at (local time with offset, office hours on working days); Dagtekening equals the receipt date",
            working_days: "Monday to Friday minus the Algemene termijnenwet holidays (protocol::calendar, national); 'N working days after D' does not count D; working_days_late = working days after the due date up to and including the receipt date",
            start_deadline: "OP271: one row per StartProduct; due = 5 working days after max(Begindatum, receipt date of the first 301 carrying the ToewijzingNummer)",
            stop_deadline: "OP272: one row per StopProduct; due = 5 working days after its Einddatum (for a definitive stop after a temporary one the Einddatum is the day the end became known); a delivery without a definitive stop owes one from the allocation's Einddatum (missing_stops)",
            declaration_deadline: "REGIO-DECL: one row per allocation and calendar month of care, met by the first approved debit line for that month; due = the last day of the next month, also when that is a weekend day or holiday (an agreed term; the service's default); lines rejected with 0611/9321/9322 do not meet it, their corrected resubmission does",
            window: "scope = obligations whose reference date (Begindatum or receipt of the 301 for a start, Einddatum for a stop, the month of care for a declaration) lies in [window_from, window_until); every one of them is met by a message in the run (late ones listed in late) except missing_stops; messages after the window are consequences of events inside it and are on time; the history (receipt before window_from) is on time and its months of care before window_from were never declared: ignore obligations with a reference date before window_from",
            money: "eurocents; declared = signed TotaalIngediendBedrag of every valid 323, including lines the service rejects and their resubmissions",
        }
    }
}

#[derive(Debug, Default, Serialize)]
pub struct Totals {
    /// Valid files per message kind (JW301 …).
    pub messages: BTreeMap<String, u64>,
    pub malformed_files: u64,
    /// Clients (distinct BSNs) in the files.
    pub clients: u64,
    /// Providers that sent or received a file; contracted providers.
    pub providers: u64,
    pub providers_contracted: u64,
    pub allocations: u64,
    pub declared_cents: i64,
    pub declared_cents_per_gemeente: BTreeMap<String, i64>,
    pub declared_cents_per_domain: BTreeMap<String, i64>,
    /// Declared cents per declaration month (YYYY-MM), to see the run is in steady state.
    pub declared_cents_per_period: BTreeMap<String, i64>,
    /// declared_cents × 12 / months.
    pub yearly_cents: i64,
    /// What the catalogue predicts for a year at this scale (the sizing function).
    pub expected_yearly_cents: i64,
}

/// One late message: the obligation, who owed it, and by how much it was late.
#[derive(Debug, Clone, Serialize)]
pub struct Late {
    /// OP271 (start), OP272 (stop) or DECLARATIETERMIJN.
    pub rule: &'static str,
    pub file: String,
    pub kind: String,
    pub provider: String,
    pub gemeente: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub toewijzing_nummer: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub declaratie_nummer: Option<String>,
    /// The month of care (YYYY-MM) of a declaration row.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<String>,
    /// The date the term runs from: max(Begindatum, 301 receipt) for a start, Einddatum for a
    /// stop, the last day of the month of care for a declaration.
    pub reference_date: String,
    pub due: String,
    pub received_at: String,
    pub working_days_late: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct MissingStop {
    pub toewijzing_nummer: u32,
    pub provider: String,
    pub gemeente: String,
    pub domain: String,
    /// The allocation's (current) Einddatum, on which delivery ended.
    pub allocation_end: String,
    /// When the stop would have been due (OP272).
    pub due: String,
    /// Begindatum of the start that was never stopped.
    pub start_begindatum: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TariffError {
    pub file: String,
    pub provider: String,
    pub gemeente: String,
    pub declaratie_nummer: String,
    pub referentie_nummer: String,
    pub toewijzing_nummer: u32,
    pub product_code: String,
    pub period_begin: String,
    pub declared_tariff: i64,
    pub contract_tariff: i64,
    pub expected_code: &'static str,
    /// The corrected line, in the provider's next declaration to this gemeente.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resubmitted_file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resubmitted_referentie_nummer: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Overrun {
    pub file: String,
    pub provider: String,
    pub gemeente: String,
    pub declaratie_nummer: String,
    pub referentie_nummer: String,
    pub toewijzing_nummer: u32,
    pub product_code: String,
    pub period_begin: String,
    pub period_end: String,
    pub volume: i64,
    /// The most the allocation allowed: for 9321 in this period, for 9322 in total minus what
    /// was approved before.
    pub allowed: i64,
    pub expected_code: &'static str,
    /// The corrected line, in the provider's next declaration to this gemeente.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resubmitted_file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resubmitted_referentie_nummer: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Correction {
    pub provider: String,
    pub gemeente: String,
    pub toewijzing_nummer: u32,
    /// The approved debit that was credited.
    pub original_referentie_nummer: String,
    pub credit_file: String,
    pub credit_declaratie_nummer: String,
    pub credit_referentie_nummer: String,
    /// The corrected debit, in a later declaration (absent when the run ended first).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub corrected_file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub corrected_referentie_nummer: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Malformed {
    pub file: String,
    pub kind: String,
    pub sender: String,
    /// What the validator reports first: xml.malformed, OP192, xml.namespace, schema.date, …
    pub expected_rule: &'static str,
    pub what: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProviderSummary {
    pub agb: String,
    pub name: String,
    pub segments: Vec<&'static str>,
    pub gemeenten: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budgetplafond: Option<i64>,
    pub profile: Profile,
}
