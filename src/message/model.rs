//! Typed model of the iJw 3.2 / iWmo 3.2 messages, used by the level-2 rules and later layers.
//!
//! One struct per message class serves both the heenbericht and its retour: the retour-only parts
//! (`RetourCodes` on every class, the extra header fields) are `Option`s. The model is built from
//! a message that already passed layer 1 (namespaces, order, cardinality, datatypes), so it does
//! not repeat those checks; it only needs to read what the XSD accepts.
//!
//! Reading is done with `quick_xml::de`, which matches elements by local name and ignores
//! prefixes, so `<jw323:Client>`, `<Client>` under a default namespace and `<ijw:Bedrag>` all
//! land in the right field. The validator reads the same model from the document layer 1
//! already recorded ([`from_doc`]) instead of parsing the text a second time. Conventions:
//! - code-list values and free text stay `String`, exactly as written (no trimming);
//! - integers, dates and times follow the XML Schema lexical rules (see [`super::lexical`]);
//! - amounts are integer eurocents (`i64`) with a separate [`DebetCredit`].

use super::doc::Doc;
use super::kind::MessageKind;
use super::lexical;
use chrono::{NaiveDate, NaiveTime};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};

/// Why a message text could not be turned into the typed model.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("message kind {0} is not one of the iJw/iWmo 3.2 messages")]
    UnknownKind(MessageKind),
    #[error("{kind}: cannot read the message: {source}")]
    Xml {
        kind: MessageKind,
        #[source]
        source: quick_xml::DeError,
    },
    #[error("{kind}: the message body ({element}) is missing")]
    MissingBody {
        kind: MessageKind,
        element: &'static str,
    },
}

// ---------------------------------------------------------------------------------------------
// Message, body and header
// ---------------------------------------------------------------------------------------------

/// One parsed message: its kind, its header and its body.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Message {
    pub kind: MessageKind,
    pub header: Header,
    pub body: Body,
}

/// The body element of a message, by family. Retours (and a header-only 325) have no body.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub enum Body {
    /// 301 / 302: `Client` with allocations.
    Toewijzing(ToewijzingClient),
    /// 305 / 306: `Client` with started deliveries.
    Start(StartClient),
    /// 307 / 308: `Client` with stopped deliveries.
    Stop(StopClient),
    /// 315 / 316: `Client` with requested products (verzoek om toewijzing).
    Vot(VotClient),
    /// 317 / 318: `Client` with a change request (verzoek om wijziging).
    Vow(VowClient),
    /// 319 / 320: `Antwoord`.
    Antwoord(Antwoord),
    /// 323: `Declaratie`.
    Declaratie(Declaratie),
    /// 325: `DeclaratieAntwoord`.
    DeclaratieAntwoord(DeclaratieAntwoord),
    /// No body element: a retour without remarks on the body, or a 325 with header codes only.
    #[default]
    Empty,
}

/// The header of every message. Elements 1–7 are common to all; the rest is filled only for
/// retours (302/306/308/316/318/320) or for the 325.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Header {
    pub bericht_code: String,
    #[serde(deserialize_with = "lexical::integer")]
    pub bericht_versie: u8,
    #[serde(deserialize_with = "lexical::integer")]
    pub bericht_subversie: u8,
    /// Gemeentecode (4 digits) or AGB code (8 digits), depending on the direction.
    pub afzender: String,
    pub ontvanger: String,
    pub bericht_identificatie: BerichtIdentificatie,
    pub xsd_versie: XsdVersie,
    /// Retour only.
    #[serde(default)]
    pub identificatie_retour: Option<String>,
    /// Retour only.
    #[serde(default, deserialize_with = "lexical::opt_date")]
    pub dagtekening_retour: Option<NaiveDate>,
    /// 325 only: the `BerichtIdentificatie` of the 323 being answered.
    #[serde(default)]
    pub declaratie_identificatie: Option<BerichtIdentificatie>,
    /// Retour and 325.
    #[serde(default)]
    pub xslt_versie: Option<String>,
    /// Retour only.
    #[serde(default)]
    pub xsd_versie_retour: Option<XsdVersie>,
    /// 325 only.
    #[serde(default)]
    pub xsd_versie_declaratie: Option<XsdVersie>,
    /// Retour (0..1) and 325 (1..1).
    #[serde(default)]
    pub retour_codes: Option<RetourCodes>,
}

/// `RetourCodes` wrapper: one or more `RetourCode` values (WJ001).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct RetourCodes {
    #[serde(default)]
    pub retour_code: Vec<String>,
}

impl RetourCodes {
    /// True when the class carries `code`.
    pub fn contains(&self, code: &str) -> bool {
        self.retour_code.iter().any(|c| c == code)
    }
}

// ---------------------------------------------------------------------------------------------
// Composite types (CDT_*)
// ---------------------------------------------------------------------------------------------

/// `CDT_BerichtIdentificatie`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct BerichtIdentificatie {
    pub identificatie: String,
    #[serde(deserialize_with = "lexical::date")]
    pub dagtekening: NaiveDate,
}

/// `CDT_XsdVersie`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct XsdVersie {
    pub basisschema_xsd_versie: String,
    pub bericht_xsd_versie: String,
}

/// `CDT_Geboortedatum`: a date plus which part of it is reliable (COD170).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Geboortedatum {
    #[serde(deserialize_with = "lexical::date")]
    pub datum: NaiveDate,
    #[serde(default)]
    pub datum_gebruik: Option<String>,
}

/// `CDT_Achternaam`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Achternaam {
    pub achternaam: String,
    #[serde(default)]
    pub voorvoegsel: Option<String>,
}

/// `CDT_VolledigeNaam` (301 Client and Relatie).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct VolledigeNaam {
    pub geslachtsnaam: Achternaam,
    #[serde(default)]
    pub partnernaam: Option<Achternaam>,
    #[serde(default)]
    pub voornamen: Option<String>,
    #[serde(default)]
    pub voorletters: Option<String>,
    /// COD700.
    pub naam_gebruik: String,
}

/// `CDT_VerkorteNaam` (305, 307, 315 Client).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct VerkorteNaam {
    pub geslachtsnaam: Achternaam,
    #[serde(default)]
    pub voornamen: Option<String>,
    #[serde(default)]
    pub voorletters: Option<String>,
}

/// `CDT_Communicatie`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Communicatie {
    /// COD747.
    pub vorm: String,
    #[serde(default)]
    pub taal: Option<String>,
}

/// `CDT_Huis`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Huis {
    #[serde(deserialize_with = "lexical::integer")]
    pub huisnummer: u32,
    #[serde(default)]
    pub huisletter: Option<String>,
    #[serde(default)]
    pub huisnummer_toevoeging: Option<String>,
    #[serde(default)]
    pub aanduiding_woonadres: Option<String>,
}

/// `CDT_Adres`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Adres {
    #[serde(default)]
    pub huis: Option<Huis>,
    #[serde(default)]
    pub postcode: Option<String>,
    #[serde(default)]
    pub straatnaam: Option<String>,
    #[serde(default)]
    pub plaatsnaam: Option<String>,
    /// COD032.
    #[serde(default)]
    pub land_code: Option<String>,
}

/// `CDT_Telefoon`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Telefoon {
    pub telefoonnummer: String,
    pub landnummer: String,
}

/// `CDT_Telefoonnummers`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, Default)]
pub struct Telefoonnummers {
    #[serde(rename = "Telefoon01")]
    pub telefoon01: Telefoon,
    #[serde(rename = "Telefoon02", default)]
    pub telefoon02: Option<Telefoon>,
}

/// `CDT_OpenPeriode`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct OpenPeriode {
    #[serde(default, deserialize_with = "lexical::opt_date")]
    pub begindatum: Option<NaiveDate>,
    #[serde(default, deserialize_with = "lexical::opt_date")]
    pub einddatum: Option<NaiveDate>,
}

/// `CDT_GeslotenPeriode` (both ends inclusive).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct GeslotenPeriode {
    #[serde(deserialize_with = "lexical::date")]
    pub begindatum: NaiveDate,
    #[serde(deserialize_with = "lexical::date")]
    pub einddatum: NaiveDate,
}

/// `CDT_Product`: category (JZ020 / WMO020) and optional product code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Product {
    pub categorie: String,
    #[serde(default)]
    pub code: Option<String>,
}

/// `CDT_Omvang`: volume, unit (WJ756) and frequency (WMO757).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Omvang {
    #[serde(deserialize_with = "lexical::integer")]
    pub volume: i64,
    pub eenheid: String,
    pub frequentie: String,
}

/// `CDT_Verwijzer` (315).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Verwijzer {
    /// COD327.
    #[serde(rename = "Type")]
    pub type_verwijzer: String,
    #[serde(default)]
    pub naam: Option<String>,
    #[serde(default)]
    pub zorgverlener_code: Option<String>,
}

/// `CDT_Referentie`: a prestatie's own reference and, for a credit, the debit it reverses.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Referentie {
    pub referentie_nummer: String,
    #[serde(default)]
    pub vorig_referentie_nummer: Option<String>,
}

/// COD043: debit adds, credit subtracts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
pub enum DebetCredit {
    #[default]
    D,
    C,
}

impl DebetCredit {
    /// +1 for debit, −1 for credit.
    pub fn sign(self) -> i64 {
        match self {
            DebetCredit::D => 1,
            DebetCredit::C => -1,
        }
    }
}

impl<'de> Deserialize<'de> for DebetCredit {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // A string type in the XSD: no whitespace handling, case-sensitive.
        let raw = String::deserialize(d)?;
        match raw.as_str() {
            "D" => Ok(DebetCredit::D),
            "C" => Ok(DebetCredit::C),
            other => Err(serde::de::Error::custom(format!(
                "DebetCredit must be D or C, found {other:?}"
            ))),
        }
    }
}

/// `CDT_BedragMetDC`: amount in eurocents plus debit/credit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct BedragMetDc {
    #[serde(deserialize_with = "lexical::integer")]
    pub bedrag: i64,
    pub debet_credit: DebetCredit,
}

impl BedragMetDc {
    /// The amount with its sign: debit positive, credit negative.
    pub fn signed(&self) -> i64 {
        self.bedrag * self.debet_credit.sign()
    }
}

/// `CDT_TotaalBedragMetDC`: total in eurocents plus debit/credit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct TotaalBedragMetDc {
    #[serde(deserialize_with = "lexical::integer")]
    pub totaal_bedrag: i64,
    pub debet_credit: DebetCredit,
}

impl TotaalBedragMetDc {
    /// The total with its sign: debit positive, credit negative.
    pub fn signed(&self) -> i64 {
        self.totaal_bedrag * self.debet_credit.sign()
    }
}

// ---------------------------------------------------------------------------------------------
// 301 / 302 Toewijzing
// ---------------------------------------------------------------------------------------------

/// `Client` of the 301/302.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct ToewijzingClient {
    pub bsn: String,
    pub geboortedatum: Geboortedatum,
    pub geslacht: String,
    pub naam: VolledigeNaam,
    #[serde(default)]
    pub communicatie: Option<Communicatie>,
    #[serde(default)]
    pub juridische_status: Option<String>,
    #[serde(default)]
    pub wettelijke_vertegenwoordiging: Option<String>,
    #[serde(default)]
    pub commentaar: Option<String>,
    #[serde(default)]
    pub relaties: Option<Relaties>,
    #[serde(default)]
    pub contactgegevens: Contactgegevens,
    #[serde(default)]
    pub toegewezen_producten: ToegewezenProducten,
    #[serde(default)]
    pub retour_codes: Option<RetourCodes>,
}

/// `Relaties` wrapper.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Relaties {
    #[serde(default)]
    pub relatie: Vec<Relatie>,
}

/// `Relatie` (a person or organisation related to the client).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Relatie {
    pub nummer: String,
    #[serde(default, deserialize_with = "lexical::opt_integer")]
    pub volgorde: Option<u8>,
    /// COD472.
    pub soort: String,
    #[serde(default)]
    pub geboortedatum: Option<Geboortedatum>,
    #[serde(default)]
    pub geslacht: Option<String>,
    pub naam: VolledigeNaam,
    pub contact: Contact,
    #[serde(default)]
    pub retour_codes: Option<RetourCodes>,
}

/// `Contactgegevens` wrapper.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Contactgegevens {
    #[serde(default)]
    pub contact: Vec<Contact>,
}

/// `Contact`: an address and/or phone/e-mail of one kind (COD757).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Contact {
    pub soort: String,
    #[serde(default)]
    pub adres: Option<Adres>,
    #[serde(default)]
    pub organisatie: Option<String>,
    #[serde(default)]
    pub telefoon: Option<Telefoonnummers>,
    #[serde(default)]
    pub emailadres: Option<String>,
    #[serde(default)]
    pub periode: Option<OpenPeriode>,
    #[serde(default)]
    pub retour_codes: Option<RetourCodes>,
}

/// `ToegewezenProducten` wrapper.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct ToegewezenProducten {
    #[serde(default)]
    pub toegewezen_product: Vec<ToegewezenProduct>,
}

/// `ToegewezenProduct`: one allocation (version).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct ToegewezenProduct {
    #[serde(deserialize_with = "lexical::integer")]
    pub toewijzing_nummer: u32,
    #[serde(default)]
    pub referentie_aanbieder: Option<String>,
    #[serde(default)]
    pub product: Option<Product>,
    #[serde(deserialize_with = "lexical::date")]
    pub toewijzingsdatum: NaiveDate,
    #[serde(deserialize_with = "lexical::time")]
    pub toewijzingstijd: NaiveTime,
    #[serde(deserialize_with = "lexical::date")]
    pub ingangsdatum: NaiveDate,
    #[serde(default, deserialize_with = "lexical::opt_date")]
    pub einddatum: Option<NaiveDate>,
    /// JZ002 / WMO002.
    #[serde(default)]
    pub reden_wijziging: Option<String>,
    #[serde(default)]
    pub omvang: Option<Omvang>,
    /// Eurocents.
    #[serde(default, deserialize_with = "lexical::opt_integer")]
    pub budget: Option<i64>,
    #[serde(default)]
    pub commentaar: Option<String>,
    #[serde(default)]
    pub retour_codes: Option<RetourCodes>,
}

// ---------------------------------------------------------------------------------------------
// 305 / 306 Start and 307 / 308 Stop
// ---------------------------------------------------------------------------------------------

/// `Client` of the 305/306.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct StartClient {
    pub bsn: String,
    pub geboortedatum: Geboortedatum,
    pub geslacht: String,
    pub naam: VerkorteNaam,
    #[serde(default)]
    pub start_producten: StartProducten,
    #[serde(default)]
    pub retour_codes: Option<RetourCodes>,
}

/// `StartProducten` wrapper.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct StartProducten {
    #[serde(default)]
    pub start_product: Vec<StartProduct>,
}

/// `StartProduct`: the start of one delivery.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct StartProduct {
    #[serde(default, deserialize_with = "lexical::opt_integer")]
    pub toewijzing_nummer: Option<u32>,
    #[serde(default)]
    pub product: Option<Product>,
    #[serde(default, deserialize_with = "lexical::opt_date")]
    pub toewijzing_ingangsdatum: Option<NaiveDate>,
    #[serde(deserialize_with = "lexical::date")]
    pub begindatum: NaiveDate,
    /// COD467.
    pub status_aanlevering: String,
    #[serde(default)]
    pub retour_codes: Option<RetourCodes>,
}

/// `Client` of the 307/308.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct StopClient {
    pub bsn: String,
    pub geboortedatum: Geboortedatum,
    pub geslacht: String,
    pub naam: VerkorteNaam,
    #[serde(default)]
    pub stop_producten: StopProducten,
    #[serde(default)]
    pub retour_codes: Option<RetourCodes>,
}

/// `StopProducten` wrapper.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct StopProducten {
    #[serde(default)]
    pub stop_product: Vec<StopProduct>,
}

/// `StopProduct`: the (temporary or definitive) end of one delivery.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct StopProduct {
    #[serde(default, deserialize_with = "lexical::opt_integer")]
    pub toewijzing_nummer: Option<u32>,
    #[serde(default)]
    pub product: Option<Product>,
    #[serde(default, deserialize_with = "lexical::opt_date")]
    pub toewijzing_ingangsdatum: Option<NaiveDate>,
    #[serde(deserialize_with = "lexical::date")]
    pub begindatum: NaiveDate,
    /// JZ588 / WMO588.
    pub reden_beeindiging: String,
    #[serde(deserialize_with = "lexical::date")]
    pub einddatum: NaiveDate,
    /// COD467.
    pub status_aanlevering: String,
    #[serde(default)]
    pub retour_codes: Option<RetourCodes>,
}

// ---------------------------------------------------------------------------------------------
// 315 / 316 Verzoek om toewijzing
// ---------------------------------------------------------------------------------------------

/// `Client` of the 315/316.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct VotClient {
    pub bsn: String,
    pub geboortedatum: Geboortedatum,
    pub geslacht: String,
    pub naam: VerkorteNaam,
    /// iJw only (COD260).
    #[serde(default)]
    pub gezagsdrager_bekend: Option<String>,
    #[serde(default)]
    pub commentaar: Option<String>,
    #[serde(default)]
    pub aangevraagde_producten: AangevraagdeProducten,
    #[serde(default)]
    pub retour_codes: Option<RetourCodes>,
}

/// `AangevraagdeProducten` wrapper.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct AangevraagdeProducten {
    #[serde(default)]
    pub aangevraagd_product: Vec<AangevraagdProduct>,
}

/// `AangevraagdProduct`: one requested allocation.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct AangevraagdProduct {
    pub referentie_aanbieder: String,
    #[serde(default, deserialize_with = "lexical::opt_integer")]
    pub beschikking_nummer: Option<u32>,
    #[serde(default)]
    pub product: Option<Product>,
    #[serde(default, deserialize_with = "lexical::opt_date")]
    pub beschikking_ingangsdatum: Option<NaiveDate>,
    #[serde(deserialize_with = "lexical::date")]
    pub toewijzing_ingangsdatum: NaiveDate,
    #[serde(default, deserialize_with = "lexical::opt_date")]
    pub toewijzing_einddatum: Option<NaiveDate>,
    #[serde(default)]
    pub omvang: Option<Omvang>,
    #[serde(default, deserialize_with = "lexical::opt_integer")]
    pub budget: Option<i64>,
    pub verwijzer: Verwijzer,
    #[serde(default)]
    pub raamcontract: Option<String>,
    #[serde(default)]
    pub commentaar: Option<String>,
    #[serde(default)]
    pub retour_codes: Option<RetourCodes>,
}

// ---------------------------------------------------------------------------------------------
// 317 / 318 Verzoek om wijziging
// ---------------------------------------------------------------------------------------------

/// `Client` of the 317/318 (only the BSN: no personal data).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct VowClient {
    pub bsn: String,
    pub verzoek: Verzoek,
    #[serde(default)]
    pub retour_codes: Option<RetourCodes>,
}

/// `Verzoek`: the complete desired situation.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Verzoek {
    pub referentie_aanbieder: String,
    /// WJ758.
    pub reden_verzoek: String,
    #[serde(default)]
    pub ongewijzigde_producten: Option<OngewijzigdeProducten>,
    #[serde(default)]
    pub te_wijzigen_producten: Option<TeWijzigenProducten>,
    #[serde(default)]
    pub nieuwe_producten: Option<NieuweProducten>,
    #[serde(default)]
    pub retour_codes: Option<RetourCodes>,
}

impl Verzoek {
    /// The unchanged products (empty when the wrapper is absent).
    pub fn ongewijzigd(&self) -> &[OngewijzigdProduct] {
        self.ongewijzigde_producten
            .as_ref()
            .map_or(&[], |w| &w.ongewijzigd_product)
    }
    /// The products to change (empty when the wrapper is absent).
    pub fn te_wijzigen(&self) -> &[TeWijzigenProduct] {
        self.te_wijzigen_producten
            .as_ref()
            .map_or(&[], |w| &w.te_wijzigen_product)
    }
    /// The new products (empty when the wrapper is absent).
    pub fn nieuw(&self) -> &[NieuwProduct] {
        self.nieuwe_producten
            .as_ref()
            .map_or(&[], |w| &w.nieuw_product)
    }
}

/// `OngewijzigdeProducten` wrapper.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct OngewijzigdeProducten {
    #[serde(default)]
    pub ongewijzigd_product: Vec<OngewijzigdProduct>,
}

/// `OngewijzigdProduct`: a current allocation that stays as it is.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct OngewijzigdProduct {
    #[serde(deserialize_with = "lexical::integer")]
    pub toewijzing_nummer: u32,
    #[serde(default)]
    pub retour_codes: Option<RetourCodes>,
}

/// `TeWijzigenProducten` wrapper.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct TeWijzigenProducten {
    #[serde(default)]
    pub te_wijzigen_product: Vec<TeWijzigenProduct>,
}

/// `TeWijzigenProduct`: a current allocation with new dates, volume or budget.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct TeWijzigenProduct {
    #[serde(deserialize_with = "lexical::integer")]
    pub toewijzing_nummer: u32,
    #[serde(deserialize_with = "lexical::date")]
    pub gewenste_ingangsdatum: NaiveDate,
    #[serde(default, deserialize_with = "lexical::opt_date")]
    pub einddatum: Option<NaiveDate>,
    #[serde(default)]
    pub omvang: Option<Omvang>,
    #[serde(default, deserialize_with = "lexical::opt_integer")]
    pub budget: Option<i64>,
    #[serde(default)]
    pub retour_codes: Option<RetourCodes>,
}

/// `NieuweProducten` wrapper.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct NieuweProducten {
    #[serde(default)]
    pub nieuw_product: Vec<NieuwProduct>,
}

/// `NieuwProduct`: a product (or known product for a new period) to add.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct NieuwProduct {
    #[serde(default)]
    pub product: Option<Product>,
    #[serde(deserialize_with = "lexical::date")]
    pub gewenste_ingangsdatum: NaiveDate,
    #[serde(default, deserialize_with = "lexical::opt_date")]
    pub einddatum: Option<NaiveDate>,
    #[serde(default)]
    pub omvang: Option<Omvang>,
    #[serde(default, deserialize_with = "lexical::opt_integer")]
    pub budget: Option<i64>,
    #[serde(default)]
    pub retour_codes: Option<RetourCodes>,
}

// ---------------------------------------------------------------------------------------------
// 319 / 320 Antwoord
// ---------------------------------------------------------------------------------------------

/// `Antwoord`: rejection of, or "under investigation" for, a VOT product or a VOW.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Antwoord {
    pub referentie_aanbieder: String,
    /// WJ760.
    pub verzoek_antwoord: String,
    /// WJ759.
    #[serde(default)]
    pub reden_afwijzing_verzoek: Option<String>,
    /// iJw only.
    #[serde(default)]
    pub woonplaatsbeginsel: Option<Woonplaatsbeginsel>,
    #[serde(default)]
    pub retour_codes: Option<RetourCodes>,
}

/// `Woonplaatsbeginsel` (iJw 319/320): the municipality that is responsible instead.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Woonplaatsbeginsel {
    pub gemeente: String,
    #[serde(default)]
    pub retour_codes: Option<RetourCodes>,
}

// ---------------------------------------------------------------------------------------------
// 323 Declaratie and 325 DeclaratieAntwoord
// ---------------------------------------------------------------------------------------------

/// `Declaratie` (323).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Declaratie {
    pub declaratie_nummer: String,
    pub declaratie_periode: GeslotenPeriode,
    #[serde(deserialize_with = "lexical::date")]
    pub declaratie_dagtekening: NaiveDate,
    pub totaal_ingediend_bedrag: TotaalBedragMetDc,
    #[serde(default)]
    pub clienten: Clienten,
}

/// `DeclaratieAntwoord` (325).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct DeclaratieAntwoord {
    pub declaratie_nummer: String,
    pub totaal_ingediend_bedrag: TotaalBedragMetDc,
    pub totaal_toegekend_bedrag: TotaalBedragMetDc,
    #[serde(default)]
    pub clienten: Option<Clienten>,
    #[serde(default)]
    pub retour_codes: Option<RetourCodes>,
}

/// `Clienten` wrapper (323, 325).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Clienten {
    #[serde(default)]
    pub client: Vec<DeclaratieClient>,
}

/// `Client` of the 323/325.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct DeclaratieClient {
    pub bsn: String,
    #[serde(default)]
    pub prestaties: Prestaties,
    #[serde(default)]
    pub retour_codes: Option<RetourCodes>,
}

/// `Prestaties` wrapper.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Prestaties {
    #[serde(default)]
    pub prestatie: Vec<Prestatie>,
}

/// `Prestatie`: one declared product for one client, allocation and product period.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Prestatie {
    pub product_referentie: Referentie,
    #[serde(deserialize_with = "lexical::integer")]
    pub toewijzing_nummer: u32,
    pub product_categorie: String,
    pub product_code: String,
    pub product_periode: GeslotenPeriode,
    #[serde(deserialize_with = "lexical::integer")]
    pub geleverd_volume: i64,
    /// WJ756.
    pub eenheid: String,
    /// Eurocents.
    #[serde(default, deserialize_with = "lexical::opt_integer")]
    pub product_tarief: Option<i64>,
    pub ingediend_bedrag: BedragMetDc,
    #[serde(default)]
    pub retour_codes: Option<RetourCodes>,
}

impl Declaratie {
    /// Every prestatie with its 0-based client and prestatie index.
    pub fn prestaties(&self) -> impl Iterator<Item = (usize, usize, &Prestatie)> {
        iter_prestaties(&self.clienten)
    }
}

impl DeclaratieAntwoord {
    /// Every returned prestatie with its 0-based client and prestatie index.
    pub fn prestaties(&self) -> impl Iterator<Item = (usize, usize, &Prestatie)> {
        self.clienten.iter().flat_map(iter_prestaties)
    }
}

fn iter_prestaties(clienten: &Clienten) -> impl Iterator<Item = (usize, usize, &Prestatie)> {
    clienten.client.iter().enumerate().flat_map(|(ci, c)| {
        c.prestaties
            .prestatie
            .iter()
            .enumerate()
            .map(move |(pi, p)| (ci, pi, p))
    })
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

/// Root of the messages whose body is `Client`.
#[derive(Deserialize)]
struct ClientRoot<C> {
    #[serde(rename = "Header")]
    header: Header,
    #[serde(rename = "Client", default = "none")]
    client: Option<C>,
}

#[derive(Deserialize)]
struct AntwoordRoot {
    #[serde(rename = "Header")]
    header: Header,
    #[serde(rename = "Antwoord", default)]
    antwoord: Option<Antwoord>,
}

#[derive(Deserialize)]
struct DeclaratieRoot {
    #[serde(rename = "Header")]
    header: Header,
    #[serde(rename = "Declaratie", default)]
    declaratie: Option<Declaratie>,
}

#[derive(Deserialize)]
struct DeclaratieAntwoordRoot {
    #[serde(rename = "Header")]
    header: Header,
    #[serde(rename = "DeclaratieAntwoord", default)]
    declaratie_antwoord: Option<DeclaratieAntwoord>,
}

fn none<T>() -> Option<T> {
    None
}

/// Reads a message of the given kind from its XML text.
///
/// The kind comes from the root namespace (the lead's dispatch); the element prefixes do not
/// matter. For heenberichten the body is mandatory; for retours and the 325 it may be absent,
/// which gives [`Body::Empty`].
pub fn parse(kind: MessageKind, xml: &str) -> Result<Message, ModelError> {
    read(kind, Text(xml))
}

/// Reads a message of the given kind from the document layer 1 recorded, with the same result
/// as [`parse`] on its text (except for U+0085 and U+2028 in values, which [`parse`] turns into
/// line ends): the validator uses it to avoid a second parse.
pub fn from_doc(kind: MessageKind, doc: &Doc) -> Result<Message, ModelError> {
    read(kind, doc)
}

/// Where a message is read from.
trait Source {
    fn read<T: DeserializeOwned>(&self) -> Result<T, quick_xml::DeError>;
}

struct Text<'a>(&'a str);

impl Source for Text<'_> {
    fn read<T: DeserializeOwned>(&self) -> Result<T, quick_xml::DeError> {
        quick_xml::de::from_str(self.0)
    }
}

impl Source for &Doc<'_> {
    fn read<T: DeserializeOwned>(&self) -> Result<T, quick_xml::DeError> {
        super::doc::from_doc(self)
    }
}

fn read(kind: MessageKind, src: impl Source) -> Result<Message, ModelError> {
    let xml_err = |source| ModelError::Xml { kind, source };
    let required = !kind.is_retour() && kind.number != 325;
    let finish = |header: Header, body: Option<Body>, element: &'static str| match body {
        Some(body) => Ok(Message { kind, header, body }),
        None if required => Err(ModelError::MissingBody { kind, element }),
        None => Ok(Message {
            kind,
            header,
            body: Body::Empty,
        }),
    };
    match kind.number {
        301 | 302 => {
            let r: ClientRoot<ToewijzingClient> = src.read().map_err(xml_err)?;
            finish(r.header, r.client.map(Body::Toewijzing), "Client")
        }
        305 | 306 => {
            let r: ClientRoot<StartClient> = src.read().map_err(xml_err)?;
            finish(r.header, r.client.map(Body::Start), "Client")
        }
        307 | 308 => {
            let r: ClientRoot<StopClient> = src.read().map_err(xml_err)?;
            finish(r.header, r.client.map(Body::Stop), "Client")
        }
        315 | 316 => {
            let r: ClientRoot<VotClient> = src.read().map_err(xml_err)?;
            finish(r.header, r.client.map(Body::Vot), "Client")
        }
        317 | 318 => {
            let r: ClientRoot<VowClient> = src.read().map_err(xml_err)?;
            finish(r.header, r.client.map(Body::Vow), "Client")
        }
        319 | 320 => {
            let r: AntwoordRoot = src.read().map_err(xml_err)?;
            finish(r.header, r.antwoord.map(Body::Antwoord), "Antwoord")
        }
        323 => {
            let r: DeclaratieRoot = src.read().map_err(xml_err)?;
            finish(r.header, r.declaratie.map(Body::Declaratie), "Declaratie")
        }
        325 => {
            let r: DeclaratieAntwoordRoot = src.read().map_err(xml_err)?;
            finish(
                r.header,
                r.declaratie_antwoord.map(Body::DeclaratieAntwoord),
                "DeclaratieAntwoord",
            )
        }
        _ => Err(ModelError::UnknownKind(kind)),
    }
}

#[cfg(test)]
#[path = "model_tests.rs"]
mod tests;
