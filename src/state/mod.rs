//! The stored state of the message lifecycle, as the layer-3 rules see it, and the changes an
//! accepted message makes to it. Plain data: the store loads and saves it, the rules read it.
//!
//! Scopes follow the standard: a legal domain is a [`Standard`] (Jeugdwet or Wmo);
//! ToewijzingNummer is unique per gemeente per domain, ReferentieAanbieder, DeclaratieNummer
//! and prestatie ReferentieNummer per provider (AGB) per domain.

use crate::contracts::ContractContext;
use crate::message::kind::{MessageKind, Standard};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::Serialize;
use std::collections::HashMap;

/// One version of an allocation (ToegewezenProduct) as received in a 301. The current version
/// of a ToewijzingNummer is the one with the latest `toewijzingsmoment` (IV013).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Toewijzing {
    pub standard: Standard,
    pub gemeente: String,
    pub agb: String,
    pub bsn: String,
    pub nummer: i64,
    pub referentie_aanbieder: Option<String>,
    pub categorie: Option<String>,
    pub code: Option<String>,
    /// Toewijzingsdatum + Toewijzingstijd: when the gemeente decided.
    pub toewijzingsmoment: NaiveDateTime,
    pub ingangsdatum: NaiveDate,
    pub einddatum: Option<NaiveDate>,
    pub reden_wijziging: Option<String>,
    pub volume: Option<i64>,
    pub eenheid: Option<String>,
    pub frequentie: Option<String>,
    /// Eurocents.
    pub budget: Option<i64>,
    /// The client's Geboortedatum in the 301 (operational data like the BSN: the facts keep
    /// only the month of the 18th birthday, see `crate::facts::handover`). None in rows stored
    /// before it was kept.
    pub geboortedatum: Option<NaiveDate>,
    pub message_id: i64,
    pub received_at: DateTime<Utc>,
}

impl Toewijzing {
    /// Deleted ("verwijderd"): Einddatum = Ingangsdatum with RedenWijziging 13 (or legacy 01).
    pub fn is_deleted(&self) -> bool {
        self.einddatum == Some(self.ingangsdatum)
            && matches!(self.reden_wijziging.as_deref(), Some("13") | Some("01"))
    }

    /// Current on a date: not deleted and not ended before it (starting later counts).
    pub fn is_current(&self, on: NaiveDate) -> bool {
        !self.is_deleted() && self.einddatum.is_none_or(|e| e >= on)
    }
}

/// Start (305) or stop (307) of a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum LeveringSoort {
    Start,
    Stop,
}

/// One StartProduct or StopProduct received with StatusAanlevering 1. A later status-3
/// message with the same key marks it `deleted`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Levering {
    pub standard: Standard,
    pub gemeente: String,
    pub agb: String,
    pub bsn: String,
    pub soort: LeveringSoort,
    pub toewijzing_nummer: Option<i64>,
    pub categorie: Option<String>,
    pub code: Option<String>,
    pub begindatum: NaiveDate,
    /// Stop only.
    pub einddatum: Option<NaiveDate>,
    /// Stop only (JZ588 / WMO588); `20` is a temporary stop.
    pub reden_beeindiging: Option<String>,
    pub toewijzing_ingangsdatum: Option<NaiveDate>,
    pub deleted: bool,
    pub message_id: i64,
    pub received_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum VerzoekSoort {
    /// 315, one row per AangevraagdProduct.
    Vot,
    /// 317, one row per Verzoek.
    Vow,
}

/// Where a request stands. It is pending (blocks a new request, TR374) while `Open` or
/// `InOnderzoek`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum VerzoekStatus {
    Open,
    InOnderzoek,
    Toegewezen,
    Afgewezen,
}

impl VerzoekStatus {
    pub fn is_pending(self) -> bool {
        matches!(self, VerzoekStatus::Open | VerzoekStatus::InOnderzoek)
    }
}

/// A request (VOT product or VOW) identified by its ReferentieAanbieder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verzoek {
    pub standard: Standard,
    pub gemeente: String,
    pub agb: String,
    pub bsn: String,
    pub referentie: String,
    pub soort: VerzoekSoort,
    pub status: VerzoekStatus,
    pub dagtekening: NaiveDate,
    pub message_id: i64,
    pub received_at: DateTime<Utc>,
}

/// A 319 answer to a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Antwoord {
    pub standard: Standard,
    pub gemeente: String,
    pub agb: String,
    pub referentie: String,
    /// WJ760: 1 rejected, 2 in onderzoek.
    pub verzoek_antwoord: String,
    pub reden_afwijzing: Option<String>,
    pub message_id: i64,
    pub received_at: DateTime<Utc>,
}

/// The outcome of one prestatie in its 325.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum PrestatieStatus {
    Goedgekeurd,
    Afgewezen,
}

/// One declared prestatie (debit or credit) with its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Prestatie {
    pub standard: Standard,
    pub gemeente: String,
    pub agb: String,
    pub bsn: String,
    pub declaratie_nummer: String,
    pub referentie_nummer: String,
    pub vorig_referentie_nummer: Option<String>,
    pub toewijzing_nummer: i64,
    pub categorie: String,
    pub code: String,
    pub begindatum: NaiveDate,
    pub einddatum: NaiveDate,
    pub volume: i64,
    pub eenheid: String,
    pub tarief: Option<i64>,
    /// Eurocents, signed: debit positive, credit negative.
    pub bedrag: i64,
    pub status: PrestatieStatus,
    pub retour_codes: Vec<String>,
    pub message_id: i64,
    /// When the declaration holding it was received (the declaration term counts from here).
    pub received_at: DateTime<Utc>,
}

/// A received declaration (323) and what was approved of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Declaratie {
    pub standard: Standard,
    pub gemeente: String,
    pub agb: String,
    pub nummer: String,
    pub periode_begin: NaiveDate,
    pub periode_eind: NaiveDate,
    /// Eurocents, signed.
    pub totaal_ingediend: i64,
    pub totaal_toegekend: i64,
    /// False when the declaration as a whole was rejected (it then counts as not sent).
    pub accepted: bool,
    pub message_id: i64,
    pub received_at: DateTime<Utc>,
}

/// Everything stored about one client at one provider in one gemeente and domain.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ClientState {
    /// Every received version of every allocation.
    pub toewijzingen: Vec<Toewijzing>,
    pub leveringen: Vec<Levering>,
    pub verzoeken: Vec<Verzoek>,
    pub prestaties: Vec<Prestatie>,
}

/// Which stored state a message needs; derived from the message by the rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContextKeys {
    pub standard: Option<Standard>,
    pub gemeente: String,
    pub agb: String,
    /// Clients whose [`ClientState`] is loaded.
    pub bsns: Vec<String>,
    /// ToewijzingNummers whose owners (any client, any provider, this gemeente) are looked up.
    pub toewijzing_nummers: Vec<i64>,
    /// ReferentieAanbieder values (this provider) whose requests and answers are loaded.
    pub referenties: Vec<String>,
    /// Prestatie ReferentieNummers (this provider) whose prestaties are loaded, together with
    /// credits that refer to them.
    pub referentie_nummers: Vec<String>,
    pub declaratie_nummer: Option<String>,
    /// Load the contracts in force for this provider and the product-code list (layer 4).
    pub contracts: bool,
    /// Fact scopes whose rows are loaded into [`Context::facts`] (set by the facts engine).
    pub fact_scopes: Vec<String>,
}

/// Who holds a ToewijzingNummer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Owner {
    pub bsn: String,
    pub agb: String,
}

/// The stored state a message is judged against, loaded inside the transaction that will store
/// its outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    pub clients: HashMap<String, ClientState>,
    pub toewijzing_owners: HashMap<i64, Owner>,
    pub verzoeken: HashMap<String, Vec<Verzoek>>,
    pub antwoorden: HashMap<String, Vec<Antwoord>>,
    /// ReferentieAanbieder values already honoured by a 301.
    pub toegewezen_referenties: Vec<String>,
    /// Prestaties by ReferentieNummer, plus credits by the VorigReferentieNummer they credit.
    pub prestaties: HashMap<String, Vec<Prestatie>>,
    pub declaratie_nummer_used: bool,
    /// The latest DeclaratiePeriode begin of an accepted declaration of this provider to this
    /// gemeente in this domain (TR318).
    pub last_declaratie_periode: Option<NaiveDate>,
    /// True when this sender already used this Identificatie for another message of this kind
    /// (with different content; identical content is a redelivery and never reaches the rules).
    pub identificatie_reused: bool,
    /// The contracts in force for this provider, when `ContextKeys::contracts` asked for them.
    pub contracts: ContractContext,
    /// The stored timeliness rows of `ContextKeys::fact_scopes`.
    pub facts: Vec<crate::facts::TimelinessFact>,
}

impl Context {
    pub fn client(&self, bsn: &str) -> Option<&ClientState> {
        self.clients.get(bsn)
    }
}

impl ClientState {
    /// The current version of allocation `nummer`: the one with the latest
    /// `toewijzingsmoment` (IV013); on a tie the one received last.
    pub fn toewijzing(&self, nummer: i64) -> Option<&Toewijzing> {
        self.toewijzingen
            .iter()
            .filter(|t| t.nummer == nummer)
            .max_by_key(|t| (t.toewijzingsmoment, t.received_at, t.message_id))
    }

    /// The current version of every allocation of the client, ordered by ToewijzingNummer.
    pub fn actuele_versies(&self) -> Vec<&Toewijzing> {
        let mut nummers: Vec<i64> = self.toewijzingen.iter().map(|t| t.nummer).collect();
        nummers.sort_unstable();
        nummers.dedup();
        nummers
            .into_iter()
            .filter_map(|n| self.toewijzing(n))
            .collect()
    }
}

impl Prestatie {
    /// A credit carries the ReferentieNummer of the debit it reverses (CD060).
    pub fn is_credit(&self) -> bool {
        self.vorig_referentie_nummer.is_some()
    }

    pub fn is_goedgekeurd(&self) -> bool {
        self.status == PrestatieStatus::Goedgekeurd
    }
}

/// A state change made by an accepted message; applied by the store in the same transaction
/// as the message log entry. `message_id` fields are filled in by the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Change {
    AddToewijzing(Toewijzing),
    AddLevering(Levering),
    /// Status 3: marks the earlier delivery with this key deleted.
    DeleteLevering {
        standard: Standard,
        gemeente: String,
        agb: String,
        bsn: String,
        soort: LeveringSoort,
        toewijzing_nummer: Option<i64>,
        categorie: Option<String>,
        code: Option<String>,
        begindatum: NaiveDate,
        /// Stop only: the rest of the stop key.
        einddatum: Option<NaiveDate>,
        reden_beeindiging: Option<String>,
    },
    AddVerzoek(Verzoek),
    SetVerzoekStatus {
        standard: Standard,
        agb: String,
        referentie: String,
        status: VerzoekStatus,
    },
    AddAntwoord(Antwoord),
    AddDeclaratie(Declaratie),
    AddPrestatie(Prestatie),
}

/// How a message was judged, for the message log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Everything accepted (and forwarded).
    Accepted,
    /// Some prestaties of a 323 rejected, the rest accepted.
    PartlyAccepted,
    /// Rejected as a whole (retour codes say why).
    Rejected,
    /// A retour (302/306/…/320) or a 325 received and recorded.
    Recorded,
}

/// A message to publish: a retour or 325 to the sender, or a forward to the receiver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outgoing {
    pub kind: MessageKind,
    /// `gemeente.<code>.<kind>` or `aanbieder.<agb>.<kind>` (lower case kind, e.g. `jw306`).
    pub routing_key: String,
    /// BerichtIdentificatie/Identificatie of the outgoing message (IdentificatieRetour for retours).
    pub identificatie: String,
    pub xml: String,
}

impl Outgoing {
    pub fn routing_key_gemeente(code: &str, kind: MessageKind) -> String {
        format!("gemeente.{code}.{}", kind.to_string().to_ascii_lowercase())
    }
    pub fn routing_key_aanbieder(agb: &str, kind: MessageKind) -> String {
        format!("aanbieder.{agb}.{}", kind.to_string().to_ascii_lowercase())
    }
}

/// What the rules decided for one message: the log verdict with its retour codes, the state
/// changes and the messages to publish.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    pub verdict: Verdict,
    /// Every retour code given, for the log (e.g. `["0200", "9019"]`).
    pub retour_codes: Vec<String>,
    pub changes: Vec<Change>,
    pub outgoing: Vec<Outgoing>,
    /// Fact rows to write in the same transaction, a whole scope at a time (filled in by the
    /// facts engine after the rules decided; empty when facts are not recorded).
    pub facts: Vec<crate::facts::FactSet>,
}
