//! What both backends share besides the SQL: the text codes enums are stored as, reading rows
//! into the state records (through [`Fields`], so one reader serves SQLite rows, PostgreSQL
//! rows and the JSON rows of PostgreSQL's context load), the context keys, and grouping loaded
//! rows into a [`Context`].

use crate::message::kind::{MessageKind, Standard};
use crate::state::{
    Antwoord, Change, ClientState, Context, ContextKeys, Levering, LeveringSoort, Outcome,
    Outgoing, Owner, Prestatie, PrestatieStatus, Toewijzing, Verdict, Verzoek, VerzoekSoort,
    VerzoekStatus,
};
use crate::store::{Received, StoreError};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use std::collections::{BTreeSet, HashMap};

pub(crate) fn standard_code(s: Standard) -> &'static str {
    s.slug()
}

pub(crate) fn parse_standard(s: &str) -> Result<Standard, StoreError> {
    match s {
        "ijw" => Ok(Standard::Ijw),
        "iwmo" => Ok(Standard::Iwmo),
        _ => Err(corrupt_value("standard", s)),
    }
}

pub(crate) fn kind_code(k: MessageKind) -> String {
    k.to_string()
}

pub(crate) fn parse_kind(s: &str) -> Result<MessageKind, StoreError> {
    MessageKind::from_name(s).ok_or_else(|| corrupt_value("kind", s))
}

pub(crate) fn verdict_code(v: Verdict) -> &'static str {
    match v {
        Verdict::Accepted => "accepted",
        Verdict::PartlyAccepted => "partly_accepted",
        Verdict::Rejected => "rejected",
        Verdict::Recorded => "recorded",
    }
}

pub(crate) fn levering_soort_code(s: LeveringSoort) -> &'static str {
    match s {
        LeveringSoort::Start => "start",
        LeveringSoort::Stop => "stop",
    }
}

fn parse_levering_soort(s: &str) -> Result<LeveringSoort, StoreError> {
    match s {
        "start" => Ok(LeveringSoort::Start),
        "stop" => Ok(LeveringSoort::Stop),
        _ => Err(corrupt_value("leveringen.soort", s)),
    }
}

pub(crate) fn verzoek_soort_code(s: VerzoekSoort) -> &'static str {
    match s {
        VerzoekSoort::Vot => "vot",
        VerzoekSoort::Vow => "vow",
    }
}

fn parse_verzoek_soort(s: &str) -> Result<VerzoekSoort, StoreError> {
    match s {
        "vot" => Ok(VerzoekSoort::Vot),
        "vow" => Ok(VerzoekSoort::Vow),
        _ => Err(corrupt_value("verzoeken.soort", s)),
    }
}

pub(crate) fn verzoek_status_code(s: VerzoekStatus) -> &'static str {
    match s {
        VerzoekStatus::Open => "open",
        VerzoekStatus::InOnderzoek => "in_onderzoek",
        VerzoekStatus::Toegewezen => "toegewezen",
        VerzoekStatus::Afgewezen => "afgewezen",
    }
}

fn parse_verzoek_status(s: &str) -> Result<VerzoekStatus, StoreError> {
    match s {
        "open" => Ok(VerzoekStatus::Open),
        "in_onderzoek" => Ok(VerzoekStatus::InOnderzoek),
        "toegewezen" => Ok(VerzoekStatus::Toegewezen),
        "afgewezen" => Ok(VerzoekStatus::Afgewezen),
        _ => Err(corrupt_value("verzoeken.status", s)),
    }
}

pub(crate) fn prestatie_status_code(s: PrestatieStatus) -> &'static str {
    match s {
        PrestatieStatus::Goedgekeurd => "goedgekeurd",
        PrestatieStatus::Afgewezen => "afgewezen",
    }
}

fn parse_prestatie_status(s: &str) -> Result<PrestatieStatus, StoreError> {
    match s {
        "goedgekeurd" => Ok(PrestatieStatus::Goedgekeurd),
        "afgewezen" => Ok(PrestatieStatus::Afgewezen),
        _ => Err(corrupt_value("prestaties.status", s)),
    }
}

pub(crate) fn corrupt_value(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("unknown {what} {value:?}"))
}

pub(crate) fn corrupt_column(column: &str, err: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("column {column}: {err}"))
}

/// Typed access to one result row, so the record readers below serve every kind of row: the
/// database rows of both backends (one implementation, through the newtypes in `sql/binding.rs` for
/// the types stored differently) and PostgreSQL's JSON rows. `sqlx::FromRow` would serve the
/// first two only, and would tie the state records to sqlx.
pub trait Fields {
    fn text(&self, col: &str) -> Result<String, StoreError>;
    fn opt_text(&self, col: &str) -> Result<Option<String>, StoreError>;
    fn int(&self, col: &str) -> Result<i64, StoreError>;
    fn opt_int(&self, col: &str) -> Result<Option<i64>, StoreError>;
    fn flag(&self, col: &str) -> Result<bool, StoreError>;
    fn opt_flag(&self, col: &str) -> Result<Option<bool>, StoreError>;
    fn date(&self, col: &str) -> Result<NaiveDate, StoreError>;
    fn opt_date(&self, col: &str) -> Result<Option<NaiveDate>, StoreError>;
    /// A local date-time without zone (Toewijzingsdatum + Toewijzingstijd).
    fn moment(&self, col: &str) -> Result<NaiveDateTime, StoreError>;
    fn timestamp(&self, col: &str) -> Result<DateTime<Utc>, StoreError>;
    fn opt_timestamp(&self, col: &str) -> Result<Option<DateTime<Utc>>, StoreError>;
    fn codes(&self, col: &str) -> Result<Vec<String>, StoreError>;
}

pub(crate) fn toewijzing(r: &impl Fields) -> Result<Toewijzing, StoreError> {
    Ok(Toewijzing {
        standard: parse_standard(&r.text("standard")?)?,
        gemeente: r.text("gemeente")?,
        agb: r.text("agb")?,
        bsn: r.text("bsn")?,
        nummer: r.int("nummer")?,
        referentie_aanbieder: r.opt_text("referentie_aanbieder")?,
        categorie: r.opt_text("categorie")?,
        code: r.opt_text("code")?,
        toewijzingsmoment: r.moment("toewijzingsmoment")?,
        ingangsdatum: r.date("ingangsdatum")?,
        einddatum: r.opt_date("einddatum")?,
        reden_wijziging: r.opt_text("reden_wijziging")?,
        volume: r.opt_int("volume")?,
        eenheid: r.opt_text("eenheid")?,
        frequentie: r.opt_text("frequentie")?,
        budget: r.opt_int("budget")?,
        geboortedatum: r.opt_date("geboortedatum")?,
        message_id: r.int("message_id")?,
        received_at: r.timestamp("received_at")?,
    })
}

pub(crate) fn levering(r: &impl Fields) -> Result<Levering, StoreError> {
    Ok(Levering {
        standard: parse_standard(&r.text("standard")?)?,
        gemeente: r.text("gemeente")?,
        agb: r.text("agb")?,
        bsn: r.text("bsn")?,
        soort: parse_levering_soort(&r.text("soort")?)?,
        toewijzing_nummer: r.opt_int("toewijzing_nummer")?,
        categorie: r.opt_text("categorie")?,
        code: r.opt_text("code")?,
        begindatum: r.date("begindatum")?,
        einddatum: r.opt_date("einddatum")?,
        reden_beeindiging: r.opt_text("reden_beeindiging")?,
        toewijzing_ingangsdatum: r.opt_date("toewijzing_ingangsdatum")?,
        deleted: r.flag("deleted")?,
        message_id: r.int("message_id")?,
        received_at: r.timestamp("received_at")?,
    })
}

pub(crate) fn verzoek(r: &impl Fields) -> Result<Verzoek, StoreError> {
    Ok(Verzoek {
        standard: parse_standard(&r.text("standard")?)?,
        gemeente: r.text("gemeente")?,
        agb: r.text("agb")?,
        bsn: r.text("bsn")?,
        referentie: r.text("referentie")?,
        soort: parse_verzoek_soort(&r.text("soort")?)?,
        status: parse_verzoek_status(&r.text("status")?)?,
        dagtekening: r.date("dagtekening")?,
        message_id: r.int("message_id")?,
        received_at: r.timestamp("received_at")?,
    })
}

pub(crate) fn antwoord(r: &impl Fields) -> Result<Antwoord, StoreError> {
    Ok(Antwoord {
        standard: parse_standard(&r.text("standard")?)?,
        gemeente: r.text("gemeente")?,
        agb: r.text("agb")?,
        referentie: r.text("referentie")?,
        verzoek_antwoord: r.text("verzoek_antwoord")?,
        reden_afwijzing: r.opt_text("reden_afwijzing")?,
        message_id: r.int("message_id")?,
        received_at: r.timestamp("received_at")?,
    })
}

pub(crate) fn prestatie(r: &impl Fields) -> Result<Prestatie, StoreError> {
    Ok(Prestatie {
        standard: parse_standard(&r.text("standard")?)?,
        gemeente: r.text("gemeente")?,
        agb: r.text("agb")?,
        bsn: r.text("bsn")?,
        declaratie_nummer: r.text("declaratie_nummer")?,
        referentie_nummer: r.text("referentie_nummer")?,
        vorig_referentie_nummer: r.opt_text("vorig_referentie_nummer")?,
        toewijzing_nummer: r.int("toewijzing_nummer")?,
        categorie: r.text("categorie")?,
        code: r.text("code")?,
        begindatum: r.date("begindatum")?,
        einddatum: r.date("einddatum")?,
        volume: r.int("volume")?,
        eenheid: r.text("eenheid")?,
        tarief: r.opt_int("tarief")?,
        bedrag: r.int("bedrag")?,
        status: parse_prestatie_status(&r.text("status")?)?,
        retour_codes: r.codes("retour_codes")?,
        message_id: r.int("message_id")?,
        received_at: r.timestamp("received_at")?,
    })
}

pub(crate) fn contract(r: &impl Fields) -> Result<crate::contracts::Contract, StoreError> {
    Ok(crate::contracts::Contract {
        agb: r.text("agb")?,
        gemeente: r.opt_text("gemeente")?,
        categorie: r.text("categorie")?,
        productcode: r.text("productcode")?,
        eenheid: r.text("eenheid")?,
        tarief: r.int("tarief")?,
        geldig_van: r.date("geldig_van")?,
        geldig_tot: r.opt_date("geldig_tot")?,
        segment: r.text("segment")?,
        budgetplafond: r.opt_int("budgetplafond")?,
    })
}

pub(crate) fn timeliness_fact(r: &impl Fields) -> Result<crate::facts::TimelinessFact, StoreError> {
    use crate::facts::{ObligationKind, Partij};
    use crate::protocol::deadlines::Status;
    let kind = r.text("kind")?;
    let role = r.text("owed_by_role")?;
    let status = r.text("status")?;
    Ok(crate::facts::TimelinessFact {
        key: r.text("obligation_key")?,
        scope: r.text("scope")?,
        kind: ObligationKind::parse(&kind).ok_or_else(|| corrupt_value("fact kind", &kind))?,
        standard: parse_standard(&r.text("standard")?)?,
        owed_by_role: Partij::parse(&role).ok_or_else(|| corrupt_value("owed_by_role", &role))?,
        owed_by: r.text("owed_by")?,
        gemeente: r.text("gemeente")?,
        agb: r.text("agb")?,
        client: r.opt_text("client")?,
        categorie: r.opt_text("categorie")?,
        productcode: r.opt_text("productcode")?,
        reference: r.text("reference")?,
        reference_date: r.date("reference_date")?,
        due_date: r.date("due_date")?,
        fulfilled_at: r.opt_timestamp("fulfilled_at")?,
        fulfilled_on: r.opt_date("fulfilled_on")?,
        days_late: r.opt_int("days_late")?,
        status: Status::parse(&status).ok_or_else(|| corrupt_value("fact status", &status))?,
        evaluated_on: r.date("evaluated_on")?,
    })
}

pub(crate) fn prestatie_kosten(
    r: &impl Fields,
) -> Result<crate::facts::PrestatieKosten, StoreError> {
    Ok(crate::facts::PrestatieKosten {
        key: r.text("fact_key")?,
        scope: r.text("scope")?,
        standard: parse_standard(&r.text("standard")?)?,
        gemeente: r.text("gemeente")?,
        agb: r.text("agb")?,
        client: r.text("client")?,
        declaratie_nummer: r.text("declaratie_nummer")?,
        referentie_nummer: r.text("referentie_nummer")?,
        vorig_referentie_nummer: r.opt_text("vorig_referentie_nummer")?,
        toewijzing_nummer: r.int("toewijzing_nummer")?,
        categorie: r.text("categorie")?,
        productcode: r.text("productcode")?,
        segment: r.opt_text("segment")?,
        period_month: r.date("period_month")?,
        debet_credit: r.text("debet_credit")?,
        volume: r.int("volume")?,
        eenheid: r.text("eenheid")?,
        tarief: r.opt_int("tarief")?,
        declared_cents: r.int("declared_cents")?,
        approved_cents: r.int("approved_cents")?,
        rejected_cents: r.int("rejected_cents")?,
        net_cents: r.int("net_cents")?,
        credited: r.flag("credited")?,
        status: r.text("status")?,
        retour_codes: r.text("retour_codes")?,
        received_at: r.timestamp("received_at")?,
        received_on: r.date("received_on")?,
    })
}

pub(crate) fn toewijzing_kosten(
    r: &impl Fields,
) -> Result<crate::facts::ToewijzingKosten, StoreError> {
    Ok(crate::facts::ToewijzingKosten {
        key: r.text("fact_key")?,
        scope: r.text("scope")?,
        standard: parse_standard(&r.text("standard")?)?,
        gemeente: r.text("gemeente")?,
        agb: r.text("agb")?,
        client: r.text("client")?,
        toewijzing_nummer: r.int("toewijzing_nummer")?,
        categorie: r.opt_text("categorie")?,
        productcode: r.opt_text("productcode")?,
        segment: r.opt_text("segment")?,
        ingangsdatum: r.date("ingangsdatum")?,
        einddatum: r.opt_date("einddatum")?,
        commitment_end: r.opt_date("commitment_end")?,
        volume: r.opt_int("volume")?,
        eenheid: r.opt_text("eenheid")?,
        frequentie: r.opt_text("frequentie")?,
        budget: r.opt_int("budget")?,
        tarief: r.opt_int("tarief")?,
        tarief_eenheid: r.opt_text("tarief_eenheid")?,
        basis: r.text("basis")?,
        commitment_cents: r.opt_int("commitment_cents")?,
        realised_cents: r.int("realised_cents")?,
        traject: crate::facts::traject::Traject {
            request_received_on: r.opt_date("request_received_on")?,
            allocated_on: r.opt_date("allocated_on")?,
            first_start: r.opt_date("first_start")?,
            care_ended_on: r.opt_date("care_ended_on")?,
            reden_beeindiging: r.opt_text("reden_beeindiging")?,
            turns_18_month: r.opt_date("turns_18_month")?,
            runs_past_18: r.opt_flag("runs_past_18")?,
        },
    })
}

pub(crate) fn outgoing(r: &impl Fields) -> Result<Outgoing, StoreError> {
    Ok(Outgoing {
        kind: parse_kind(&r.text("kind")?)?,
        routing_key: r.text("routing_key")?,
        identificatie: r.text("identificatie")?,
        xml: r.text("xml")?,
    })
}

/// The context keys with duplicates removed (sorted), and the standard the scopes use: the
/// keys' own, else the message's.
pub struct Keys {
    pub standard: Standard,
    pub gemeente: String,
    pub agb: String,
    pub bsns: Vec<String>,
    pub toewijzing_nummers: Vec<i64>,
    pub referenties: Vec<String>,
    pub referentie_nummers: Vec<String>,
    pub declaratie_nummer: Option<String>,
    pub contracts: bool,
    pub fact_scopes: Vec<String>,
}

impl Keys {
    pub fn new(received: &Received) -> Keys {
        Keys::of(&received.keys, received.kind.standard)
    }

    /// The keys of `k`, scoped to `fallback` when they name no standard.
    pub fn of(k: &ContextKeys, fallback: Standard) -> Keys {
        Keys {
            standard: k.standard.unwrap_or(fallback),
            gemeente: k.gemeente.clone(),
            agb: k.agb.clone(),
            bsns: dedup(&k.bsns),
            toewijzing_nummers: dedup(&k.toewijzing_nummers),
            referenties: dedup(&k.referenties),
            referentie_nummers: dedup(&k.referentie_nummers),
            declaratie_nummer: k.declaratie_nummer.clone(),
            contracts: k.contracts,
            fact_scopes: dedup(&k.fact_scopes),
        }
    }

    pub fn standard(&self) -> &'static str {
        standard_code(self.standard)
    }
}

fn dedup<T: Ord + Clone>(v: &[T]) -> Vec<T> {
    v.iter()
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// Rows loaded for the context, before grouping.
#[derive(Default)]
pub struct Loaded {
    pub toewijzingen: Vec<Toewijzing>,
    pub leveringen: Vec<Levering>,
    pub verzoeken: Vec<Verzoek>,
    pub prestaties: Vec<Prestatie>,
    /// (nummer, owner) for every version, oldest first: the latest version wins.
    pub owners: Vec<(i64, Owner)>,
    pub verzoeken_by_ref: Vec<Verzoek>,
    pub antwoorden: Vec<Antwoord>,
    pub toegewezen_referenties: Vec<String>,
    pub prestaties_by_ref: Vec<Prestatie>,
    pub declaratie_nummer_used: bool,
    pub last_declaratie_periode: Option<NaiveDate>,
    pub contracts: crate::contracts::ContractContext,
    pub facts: Vec<crate::facts::TimelinessFact>,
    /// The cost fact rows of the fact scopes: not part of the context (the engine derives
    /// costs from the state), only compared with the new rows when they are written.
    pub costs: StoredCosts,
}

/// The cost fact rows stored under a context's fact scopes.
#[derive(Default)]
pub struct StoredCosts {
    pub prestaties: Vec<crate::facts::PrestatieKosten>,
    pub toewijzingen: Vec<crate::facts::ToewijzingKosten>,
}

impl StoredCosts {
    /// Every fact row stored under `keys`' scopes: these and the context's timeliness rows.
    pub fn stored<'a>(
        &'a self,
        keys: &'a Keys,
        ctx: &'a Context,
    ) -> crate::facts::delta::Stored<'a> {
        crate::facts::delta::Stored {
            scopes: &keys.fact_scopes,
            timeliness: &ctx.facts,
            prestaties: &self.prestaties,
            toewijzingen: &self.toewijzingen,
        }
    }
}

impl Loaded {
    /// Takes the cost rows out before the rest becomes the context.
    pub fn take_costs(&mut self) -> StoredCosts {
        std::mem::take(&mut self.costs)
    }
}

/// Groups loaded rows into the context. Every listed BSN gets an entry (empty when nothing is
/// stored), so "loaded, nothing found" and "not asked for" stay distinguishable. Rows keep the
/// order they were loaded in (allocations by decision moment, the rest as received).
pub(crate) fn assemble(keys: &Keys, loaded: Loaded, identificatie_reused: bool) -> Context {
    let mut clients: HashMap<String, ClientState> = keys
        .bsns
        .iter()
        .map(|b| (b.clone(), ClientState::default()))
        .collect();
    for t in loaded.toewijzingen {
        clients
            .entry(t.bsn.clone())
            .or_default()
            .toewijzingen
            .push(t);
    }
    for l in loaded.leveringen {
        clients.entry(l.bsn.clone()).or_default().leveringen.push(l);
    }
    for v in loaded.verzoeken {
        clients.entry(v.bsn.clone()).or_default().verzoeken.push(v);
    }
    for p in loaded.prestaties {
        clients.entry(p.bsn.clone()).or_default().prestaties.push(p);
    }
    let toewijzing_owners: HashMap<i64, Owner> = loaded.owners.into_iter().collect();
    let mut verzoeken: HashMap<String, Vec<Verzoek>> = HashMap::new();
    for v in loaded.verzoeken_by_ref {
        verzoeken.entry(v.referentie.clone()).or_default().push(v);
    }
    let mut antwoorden: HashMap<String, Vec<Antwoord>> = HashMap::new();
    for a in loaded.antwoorden {
        antwoorden.entry(a.referentie.clone()).or_default().push(a);
    }
    let wanted: BTreeSet<&str> = keys.referentie_nummers.iter().map(String::as_str).collect();
    let mut prestaties: HashMap<String, Vec<Prestatie>> = HashMap::new();
    for p in loaded.prestaties_by_ref {
        let own = wanted.contains(p.referentie_nummer.as_str());
        let credits = p
            .vorig_referentie_nummer
            .as_deref()
            .filter(|v| wanted.contains(v) && *v != p.referentie_nummer);
        match (own, credits) {
            (true, Some(v)) => {
                prestaties.entry(v.to_string()).or_default().push(p.clone());
                prestaties
                    .entry(p.referentie_nummer.clone())
                    .or_default()
                    .push(p);
            }
            (true, None) => prestaties
                .entry(p.referentie_nummer.clone())
                .or_default()
                .push(p),
            (false, Some(v)) => prestaties.entry(v.to_string()).or_default().push(p),
            (false, None) => {}
        }
    }
    let mut toegewezen_referenties = loaded.toegewezen_referenties;
    toegewezen_referenties.sort();
    toegewezen_referenties.dedup();
    Context {
        clients,
        toewijzing_owners,
        verzoeken,
        antwoorden,
        toegewezen_referenties,
        prestaties,
        declaratie_nummer_used: loaded.declaratie_nummer_used,
        last_declaratie_periode: loaded.last_declaratie_periode,
        identificatie_reused,
        contracts: loaded.contracts,
        facts: loaded.facts,
    }
}

/// Fills in what the store knows and the rules do not: the new message's id and receipt time.
pub(crate) fn stamp(outcome: &mut Outcome, message_id: i64, received_at: DateTime<Utc>) {
    for c in &mut outcome.changes {
        match c {
            Change::AddToewijzing(t) => {
                t.message_id = message_id;
                t.received_at = received_at;
            }
            Change::AddLevering(l) => {
                l.message_id = message_id;
                l.received_at = received_at;
            }
            Change::AddVerzoek(v) => {
                v.message_id = message_id;
                v.received_at = received_at;
            }
            Change::AddAntwoord(a) => {
                a.message_id = message_id;
                a.received_at = received_at;
            }
            Change::AddDeclaratie(d) => {
                d.message_id = message_id;
                d.received_at = received_at;
            }
            Change::AddPrestatie(p) => {
                p.message_id = message_id;
                p.received_at = received_at;
            }
            Change::DeleteLevering { .. } | Change::SetVerzoekStatus { .. } => {}
        }
    }
}

/// Why judging a message stopped before its transaction could commit.
pub(crate) enum Halt {
    Store(StoreError),
    /// The rules panicked: the caller rolls back, then re-raises the panic.
    Panic(Box<dyn std::any::Any + Send>),
}

impl From<StoreError> for Halt {
    fn from(e: StoreError) -> Halt {
        Halt::Store(e)
    }
}

impl From<sqlx::Error> for Halt {
    fn from(e: sqlx::Error) -> Halt {
        Halt::Store(e.into())
    }
}

impl Halt {
    /// The error to return once the transaction is rolled back; re-raises a panic.
    pub(crate) fn resume(self) -> StoreError {
        match self {
            Halt::Store(e) => e,
            Halt::Panic(panic) => std::panic::resume_unwind(panic),
        }
    }
}

/// Runs the rules, catching a panic so the caller can roll back before it is re-raised.
pub(crate) fn run_decide(
    decide: &crate::store::Decide<'_>,
    ctx: &Context,
) -> Result<Outcome, Halt> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| decide(ctx))).map_err(Halt::Panic)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for s in [
            VerzoekStatus::Open,
            VerzoekStatus::InOnderzoek,
            VerzoekStatus::Toegewezen,
            VerzoekStatus::Afgewezen,
        ] {
            assert_eq!(parse_verzoek_status(verzoek_status_code(s)).ok(), Some(s));
        }
        for k in MessageKind::all() {
            assert_eq!(parse_kind(&kind_code(k)).ok(), Some(k));
        }
        assert!(parse_standard("jw").is_err());
    }
}
