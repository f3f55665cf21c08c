//! 323 Declaratie against the stored allocations and prestaties, judged per prestatie and
//! answered with a 325 (§6.6, §6.7, IV087/IV088).
//!
//! Levels:
//! - class Declaratie (TR333, TR318): the whole declaration is rejected and counts as not
//!   sent: nothing is stored;
//! - class Client (TR304): the client is rejected and all its prestaties are returned with 0233
//!   (not assessed);
//! - class Prestatie: each prestatie is approved or rejected as a whole.
//!
//! Decisions:
//! - order (OP366): credits are judged before debits, so a credit and the corrected debit in one
//!   323 (IV086) are judged as meant; debits follow in document order;
//! - a credit is a unilateral act of the provider (IV085): it gets only the reference checks
//!   (TR314, TR304, TR323, TR390), never the allocation, period or volume checks;
//! - the cumulative checks (TR322, TR369) count approved prestaties only (rejected ones never
//!   count, a credited debit is netted by its credit), the stored ones and those approved
//!   earlier in the same message; a debit that would exceed is rejected and does not count;
//! - allocation checks use the current version of the allocation (latest Toewijzingsdatum +
//!   Toewijzingstijd, IV013), so an extension by "oprekken" (OP380) covers later periods;
//! - start/stop messages are never a condition (OP364): no rule here reads them.
//!
//! TR418 (tariff, 0611), TR346 (amount = volume × tariff, 9346) and TR381 (product code list,
//! S329) need the contract registry and product-code list and are not checked here.

use super::verzoek::tr304_client_bekend;
use super::{answer, apply, DecideInput, Hit, Place};
use crate::message::model::{Declaratie, Prestatie};
use crate::state::{ClientState, Context, Outcome, Toewijzing, Verdict};
use chrono::{Datelike, Months, NaiveDate, Weekday};
use std::collections::{HashMap, HashSet};

// ---------------------------------------------------------------------------------------------
// Class Declaratie
// ---------------------------------------------------------------------------------------------

/// TR333 (9333): the DeclaratieNummer is unique per provider per legal domain (OP349). A
/// declaration rejected as a whole counts as not sent and does not use up its number.
pub fn tr333_declaratienummer_uniek(d: &Declaratie, ctx: &Context) -> Option<Hit> {
    ctx.declaratie_nummer_used.then(|| {
        Hit::new(
            "TR333",
            "9333",
            Place::declaratie(),
            format!(
                "DeclaratieNummer {} was already used by this provider",
                d.declaratie_nummer
            ),
        )
    })
}

/// TR318 (8214): with care every period the declaration periods follow each other (OP284).
///
/// Decision: only a period **before** the latest period already declared by this provider to
/// this gemeente is rejected (OP284/IV090: an earlier period may not be used). The same period
/// again is allowed (corrections and late items), and so is a gap: months without care are
/// skipped (TR318 example May, June, September), and whether care was delivered in a skipped
/// month is not information the service has (OP095).
pub fn tr318_periode_sluit_aan(d: &Declaratie, ctx: &Context) -> Option<Hit> {
    let last = ctx.last_declaratie_periode?;
    let begin = d.declaratie_periode.begindatum;
    (begin < last).then(|| {
        Hit::new(
            "TR318",
            "8214",
            Place::declaratie(),
            format!("DeclaratiePeriode {begin} lies before the latest period declared, {last}"),
        )
    })
}

// ---------------------------------------------------------------------------------------------
// Class Prestatie: references
// ---------------------------------------------------------------------------------------------

/// TR314 (8021): a prestatie's ReferentieNummer is unique per provider per legal domain, within
/// the message and over all earlier messages, also those of rejected prestaties (OP283).
pub fn tr314_referentienummer_uniek(
    p: &Prestatie,
    ctx: &Context,
    eerder_in_bericht: bool,
    place: Place,
) -> Option<Hit> {
    let r = &p.product_referentie.referentie_nummer;
    let stored = ctx
        .prestaties
        .get(r)
        .is_some_and(|v| v.iter().any(|q| q.referentie_nummer == *r));
    (stored || eerder_in_bericht).then(|| {
        Hit::new(
            "TR314",
            "8021",
            place,
            format!("ReferentieNummer {r} was already submitted"),
        )
    })
}

/// TR304 (8187): the prestatie belongs to the client it is declared under: its allocation is
/// not held by another client, and a credit reverses a debit of the same client.
pub fn tr304_prestatie_van_client(
    p: &Prestatie,
    bsn: &str,
    ctx: &Context,
    place: Place,
) -> Option<Hit> {
    let ander = match &p.product_referentie.vorig_referentie_nummer {
        Some(vorig) => ctx.prestaties.get(vorig).is_some_and(|v| {
            v.iter()
                .any(|q| q.referentie_nummer == *vorig && !q.is_credit() && q.bsn != bsn)
        }),
        None => ctx
            .toewijzing_owners
            .get(&i64::from(p.toewijzing_nummer))
            .is_some_and(|o| o.bsn != bsn),
    };
    ander.then(|| {
        Hit::new(
            "TR304",
            "8187",
            place,
            "the prestatie belongs to another client",
        )
    })
}

/// TR323 (8017): a credit reverses an earlier **approved** debit: its VorigReferentieNummer is
/// the ReferentieNummer of that debit (OP283, OP360, IV085: a rejected prestatie is never
/// credited, so a rejected debit counts as unknown).
pub fn tr323_credit_heeft_debet(p: &Prestatie, ctx: &Context, place: Place) -> Option<Hit> {
    let vorig = p.product_referentie.vorig_referentie_nummer.as_ref()?;
    let known = ctx.prestaties.get(vorig).is_some_and(|v| {
        v.iter()
            .any(|q| q.referentie_nummer == *vorig && !q.is_credit() && q.is_goedgekeurd())
    });
    (!known).then(|| {
        Hit::new(
            "TR323",
            "8017",
            place,
            format!("no approved debit {vorig} is known for this credit"),
        )
    })
}

/// TR390 (9390): a debit is credited only once (OP360): no approved credit for the same
/// VorigReferentieNummer exists. (Within one message TR315, level 2, already forbids it.)
pub fn tr390_credit_eenmalig(p: &Prestatie, ctx: &Context, place: Place) -> Option<Hit> {
    let vorig = p.product_referentie.vorig_referentie_nummer.as_ref()?;
    let credited = ctx.prestaties.get(vorig).is_some_and(|v| {
        v.iter().any(|q| {
            q.is_goedgekeurd() && q.vorig_referentie_nummer.as_deref() == Some(vorig.as_str())
        })
    });
    credited.then(|| {
        Hit::new(
            "TR390",
            "9390",
            place,
            format!("debit {vorig} was already credited"),
        )
    })
}

/// TR389 (9389): a debit for a ProductPeriode, ProductCategorie, ProductCode and
/// ToewijzingNummer only when no earlier approved debit for them exists, or that debit was
/// credited — earlier, or by an approved credit in this message (OP366, IV086).
pub fn tr389_geen_tweede_debet(
    p: &Prestatie,
    client: Option<&ClientState>,
    gecrediteerd_in_bericht: &HashSet<String>,
    place: Place,
) -> Option<Hit> {
    if p.product_referentie.vorig_referentie_nummer.is_some() {
        return None;
    }
    let cs = client?;
    let open = cs.prestaties.iter().find(|q| {
        !q.is_credit()
            && q.is_goedgekeurd()
            && q.toewijzing_nummer == i64::from(p.toewijzing_nummer)
            && q.categorie == p.product_categorie
            && q.code == p.product_code
            && q.begindatum == p.product_periode.begindatum
            && q.einddatum == p.product_periode.einddatum
            && !gecrediteerd_in_bericht.contains(&q.referentie_nummer)
            && !cs.prestaties.iter().any(|c| {
                c.is_goedgekeurd()
                    && c.vorig_referentie_nummer.as_deref() == Some(q.referentie_nummer.as_str())
            })
    })?;
    Some(Hit::new(
        "TR389",
        "9389",
        place,
        format!(
            "debit {} for the same period, product and allocation was approved and not credited",
            open.referentie_nummer
        ),
    ))
}

// ---------------------------------------------------------------------------------------------
// Class Prestatie: the allocation
// ---------------------------------------------------------------------------------------------

/// TR338 (9338): the prestatie is linked by its ToewijzingNummer to an allocation of this
/// client at this provider from this gemeente (OP276, OP302). Returns the allocation's current
/// version when linked.
///
/// Decision on order (OP080): a 323 whose 301 has not (yet) arrived is rejected with 9338.
pub fn tr338_gekoppeld_aan_toewijzing<'a>(
    p: &Prestatie,
    client: Option<&'a ClientState>,
    place: Place,
) -> Result<&'a Toewijzing, Hit> {
    client
        .and_then(|c| c.toewijzing(p.toewijzing_nummer.into()))
        .ok_or_else(|| {
            Hit::new(
                "TR338",
                "9338",
                place,
                format!(
                    "ToewijzingNummer {} is not an allocation of this client at this provider",
                    p.toewijzing_nummer
                ),
            )
        })
}

/// TR384 (9384): no declaring on a deleted allocation (reden 13, OP276). The other allocation
/// checks are then not made.
pub fn tr384_niet_op_verwijderde_toewijzing(t: &Toewijzing, place: Place) -> Option<Hit> {
    t.is_deleted().then(|| {
        Hit::new(
            "TR384",
            "9384",
            place,
            "the allocation was deleted (RedenWijziging 13)",
        )
    })
}

/// TR339 (9339): ProductCategorie equals the allocated category, when the allocation has one
/// (OP302; a generic allocation has none).
pub fn tr339_categorie_past(p: &Prestatie, t: &Toewijzing, place: Place) -> Option<Hit> {
    let cat = t.categorie.as_deref()?;
    (p.product_categorie != cat).then(|| {
        Hit::new(
            "TR339",
            "9339",
            place,
            format!(
                "ProductCategorie {} differs from the allocated {cat}",
                p.product_categorie
            ),
        )
    })
}

/// TR340 (9340): ProductCode equals the allocated code, when the allocation has one (OP302;
/// aspecific and generic allocations have none — which codes fit them is TR381 with the
/// product-code list).
pub fn tr340_productcode_past(p: &Prestatie, t: &Toewijzing, place: Place) -> Option<Hit> {
    let code = t.code.as_deref()?;
    (p.product_code != code).then(|| {
        Hit::new(
            "TR340",
            "9340",
            place,
            format!(
                "ProductCode {} differs from the allocated {code}",
                p.product_code
            ),
        )
    })
}

/// TR341 (9341): the unit fits the allocated unit (OP267): equal, except that an allocation in
/// hours (04) may be declared in minutes (01) (IV081).
///
/// Decision: the reverse (allocated in minutes, declared in hours) is refused, as the rule
/// grants only hours → minutes. An allocation without Omvang (aspecific, generic, budget) is
/// declared in the unit of the contract; without contract data that is not checked here.
pub fn tr341_eenheid_past(p: &Prestatie, t: &Toewijzing, place: Place) -> Option<Hit> {
    let te = t.eenheid.as_deref()?;
    let fits = p.eenheid == te || (te == "04" && p.eenheid == "01");
    (!fits).then(|| {
        Hit::new(
            "TR341",
            "9341",
            place,
            format!("Eenheid {} does not fit the allocated unit {te}", p.eenheid),
        )
    })
}

/// TR307 (9307): ProductPeriode begins on or after the allocation's Ingangsdatum (OP279,
/// OP368).
pub fn tr307_begin_binnen_toewijzing(p: &Prestatie, t: &Toewijzing, place: Place) -> Option<Hit> {
    let b = p.product_periode.begindatum;
    (b < t.ingangsdatum).then(|| {
        Hit::new(
            "TR307",
            "9307",
            place,
            format!(
                "ProductPeriode begins {b}, before the allocation's Ingangsdatum {}",
                t.ingangsdatum
            ),
        )
    })
}

/// TR308 (9308): ProductPeriode ends on or before the allocation's Einddatum, if it has one
/// (OP279, OP368).
pub fn tr308_eind_binnen_toewijzing(p: &Prestatie, t: &Toewijzing, place: Place) -> Option<Hit> {
    let e = p.product_periode.einddatum;
    let end = t.einddatum?;
    (e > end).then(|| {
        Hit::new(
            "TR308",
            "9308",
            place,
            format!("ProductPeriode ends {e}, after the allocation's Einddatum {end}"),
        )
    })
}

fn eerste_van_maand(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

fn laatste_van_maand(d: NaiveDate) -> NaiveDate {
    eerste_van_maand(d)
        .checked_add_months(Months::new(1))
        .and_then(|n| n.pred_opt())
        .unwrap_or(d)
}

/// TR387 (9387): ProductPeriode begins on the 1st of its month, or on the allocation's
/// Ingangsdatum when that lies later in the month (OP368, IV089; start/stop dates play no part,
/// OP364).
///
/// Decision: a begin before the Ingangsdatum is TR307's, not also TR387's.
pub fn tr387_begin_op_maandgrens(p: &Prestatie, t: &Toewijzing, place: Place) -> Option<Hit> {
    let b = p.product_periode.begindatum;
    let expected = eerste_van_maand(b).max(t.ingangsdatum);
    (b >= t.ingangsdatum && b != expected).then(|| {
        Hit::new(
            "TR387",
            "9387",
            place,
            format!("ProductPeriode begins {b}; it must begin {expected}"),
        )
    })
}

/// TR388 (9388): ProductPeriode ends on the last day of its month, or on the allocation's
/// Einddatum when that lies earlier in the month (OP368, IV089).
///
/// Decision: an end after the Einddatum is TR308's, not also TR388's.
pub fn tr388_eind_op_maandgrens(p: &Prestatie, t: &Toewijzing, place: Place) -> Option<Hit> {
    let e = p.product_periode.einddatum;
    let expected = match t.einddatum {
        Some(end) => laatste_van_maand(e).min(end),
        None => laatste_van_maand(e),
    };
    let within = t.einddatum.is_none_or(|end| e <= end);
    (within && e != expected).then(|| {
        Hit::new(
            "TR388",
            "9388",
            place,
            format!("ProductPeriode ends {e}; it must end {expected}"),
        )
    })
}

/// TR319 (9319): the ProductPeriode lies in the current declaration period or an earlier one
/// (OP280): it does not end after the DeclaratiePeriode.
pub fn tr319_in_declaratieperiode(p: &Prestatie, d: &Declaratie, place: Place) -> Option<Hit> {
    let e = p.product_periode.einddatum;
    let end = d.declaratie_periode.einddatum;
    (e > end).then(|| {
        Hit::new(
            "TR319",
            "9319",
            place,
            format!("ProductPeriode ends {e}, after the DeclaratiePeriode ({end})"),
        )
    })
}

// ---------------------------------------------------------------------------------------------
// Class Prestatie: volume and budget
// ---------------------------------------------------------------------------------------------

/// The declared volume in the allocation's counting unit: minutes for an allocation in hours
/// (so minutes and hours can be added, TR341/IV081), otherwise the unit itself. None when the
/// units cannot be compared (TR341 says so).
pub fn in_telbasis(volume: i64, eenheid: &str, t: &Toewijzing) -> Option<i64> {
    match (t.eenheid.as_deref()?, eenheid) {
        ("04", "04") => Some(volume * 60),
        ("04", "01") => Some(volume),
        (te, e) if te == e => Some(volume),
        _ => None,
    }
}

/// The allocated volume `v` in the counting unit of [`in_telbasis`].
fn telbasis_van_toewijzing(v: i64, t: &Toewijzing) -> i64 {
    if t.eenheid.as_deref() == Some("04") {
        v * 60
    } else {
        v
    }
}

fn maandag(d: NaiveDate) -> NaiveDate {
    d - chrono::Duration::days(d.weekday().num_days_from_monday().into())
}

/// ISO weeks touched by [a, b] (inclusive; §8.1).
pub fn iso_weken(a: NaiveDate, b: NaiveDate) -> i64 {
    (maandag(b) - maandag(a)).num_days() / 7 + 1
}

fn zondagen(a: NaiveDate, b: NaiveDate) -> i64 {
    a.iter_days()
        .take_while(|d| *d <= b)
        .filter(|d| d.weekday() == Weekday::Sun)
        .count() as i64
}

/// Weeks an outputgericht weekly allocation pays in [pb, pe] (IV076/IV077): the Sundays in the
/// period, plus the final broken week when this period holds the allocation's last Sunday (or,
/// for an allocation without any Sunday, its end).
fn output_weken(pb: NaiveDate, pe: NaiveDate, t: &Toewijzing) -> i64 {
    let mut n = zondagen(pb, pe);
    if let Some(end) = t.einddatum {
        if end.weekday() != Weekday::Sun {
            let last_sunday =
                end - chrono::Duration::days(end.weekday().num_days_from_sunday().into());
            let anchor = if last_sunday >= t.ingangsdatum {
                last_sunday
            } else {
                end
            };
            if pb <= anchor && anchor <= pe {
                n += 1;
            }
        }
    }
    n
}

/// True for the outputgericht units (82 stuks output, 83 euro's).
fn outputgericht(t: &Toewijzing) -> bool {
    matches!(t.eenheid.as_deref(), Some("82") | Some("83"))
}

/// The most the allocation allows in one product period [pb, pe], in its own unit (§5.4).
pub fn max_per_periode(t: &Toewijzing, pb: NaiveDate, pe: NaiveDate) -> Option<i64> {
    let v = t.volume?;
    let days = (pe - pb).num_days() + 1;
    match t.frequentie.as_deref()? {
        "1" => Some(v * days),
        "2" if outputgericht(t) => Some(v * output_weken(pb, pe, t)),
        "2" => Some(v * iso_weken(pb, pe)),
        "4" | "6" => Some(v),
        _ => None,
    }
}

/// The most the allocation allows over its whole validity, in its own unit (§5.4); None for an
/// open-ended allocation with a per-period frequency.
pub fn max_totaal(t: &Toewijzing) -> Option<i64> {
    let v = t.volume?;
    let freq = t.frequentie.as_deref()?;
    if freq == "6" {
        return Some(v);
    }
    let (i, e) = (t.ingangsdatum, t.einddatum?);
    match freq {
        "1" => Some(v * ((e - i).num_days() + 1)),
        "2" => Some(v * iso_weken(i, e)),
        "4" => {
            let months = |d: NaiveDate| i64::from(d.year()) * 12 + i64::from(d.month0());
            Some(v * (months(e) - months(i) + 1))
        }
        _ => None,
    }
}

/// TR321 (9321): with an Omvang in the allocation, one prestatie's GeleverdVolume fits the
/// Volume for its product period, given Eenheid and Frequentie (OP365).
///
/// Decisions (the open points of §5.4):
/// - per day: Volume × days of the product period;
/// - per week: inspanningsgericht Volume × ISO weeks the period touches (a broken week counts
///   whole, IV077/IV078); outputgericht Volume × Sundays in the period, plus the allocation's
///   final broken week in the period holding its last Sunday (IV076). The variant is read from
///   the unit: 82 (stuks output) and 83 (euro's) are outputgericht, every other unit
///   inspanningsgericht — the contract, which fixes the variant (OP261), is not available here;
/// - per month: Volume per product period, also a partial month (IV078);
/// - total (6): Volume;
/// - hours allocated, minutes declared: compared in minutes (IV081); other unit mismatches are
///   TR341's and not compared.
pub fn tr321_volume_per_prestatie(p: &Prestatie, t: &Toewijzing, place: Place) -> Option<Hit> {
    let geleverd = in_telbasis(p.geleverd_volume, &p.eenheid, t)?;
    let max = max_per_periode(t, p.product_periode.begindatum, p.product_periode.einddatum)?;
    let max = telbasis_van_toewijzing(max, t);
    (geleverd > max).then(|| {
        Hit::new(
            "TR321",
            "9321",
            place,
            format!(
                "GeleverdVolume {} {} exceeds what the allocation allows for this product period",
                p.geleverd_volume, p.eenheid
            ),
        )
    })
}

/// TR322 (9322): with an Omvang, the approved volume of all prestaties on the allocation stays
/// within the maximum over its whole validity (OP365): Volume × days / ISO weeks / calendar
/// months touched, or Volume for frequency 6. Open-ended allocations with a per-period
/// frequency have no total and only get TR321.
///
/// `eerder` is the approved net volume so far, in the counting unit of [`in_telbasis`].
pub fn tr322_volume_totaal(
    p: &Prestatie,
    t: &Toewijzing,
    eerder: i64,
    place: Place,
) -> Option<Hit> {
    let geleverd = in_telbasis(p.geleverd_volume, &p.eenheid, t)?;
    let max = telbasis_van_toewijzing(max_totaal(t)?, t);
    (eerder + geleverd > max).then(|| {
        Hit::new(
            "TR322",
            "9322",
            place,
            "together with the volume already approved this exceeds the volume of the whole allocation",
        )
    })
}

/// TR369 (9369): with a Budget in the allocation, all approved prestaties on it stay within the
/// Budget (OP302, OP365).
///
/// Decision (⚠ §11.7): the rule text sums GeleverdVolume, but the Budget is in eurocents and
/// under an aspecific or generic allocation the prestaties have different units, so the net
/// IngediendBedrag is summed. `eerder` is the approved net amount so far (eurocents).
pub fn tr369_binnen_budget(
    p: &Prestatie,
    t: &Toewijzing,
    eerder: i64,
    place: Place,
) -> Option<Hit> {
    let budget = t.budget?;
    let totaal = eerder + p.ingediend_bedrag.signed();
    (totaal > budget).then(|| {
        Hit::new(
            "TR369",
            "9369",
            place,
            format!(
                "the approved amount would become {totaal} cents, more than the budget of {budget}"
            ),
        )
    })
}

// ---------------------------------------------------------------------------------------------
// Judging the whole declaration
// ---------------------------------------------------------------------------------------------

/// The verdict on one prestatie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrestatieOordeel {
    /// 0-based client and prestatie index.
    pub ci: usize,
    pub pi: usize,
    pub hits: Vec<Hit>,
    /// Its client was rejected, so it was not assessed (0233).
    pub niet_beoordeeld: bool,
}

impl PrestatieOordeel {
    pub fn goedgekeurd(&self) -> bool {
        self.hits.is_empty() && !self.niet_beoordeeld
    }

    /// The codes it is returned with (empty when approved).
    pub fn codes(&self) -> Vec<&'static str> {
        if self.niet_beoordeeld {
            return vec!["0233"];
        }
        let mut c: Vec<&'static str> = Vec::new();
        for h in &self.hits {
            if !c.contains(&h.code) {
                c.push(h.code);
            }
        }
        c
    }
}

/// The verdict on a whole 323.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Oordeel {
    /// Findings on class Declaratie: the declaration is rejected as a whole.
    pub declaratie: Vec<Hit>,
    /// Findings per client (document order).
    pub clienten: Vec<Vec<Hit>>,
    /// Every prestatie in document order.
    pub prestaties: Vec<PrestatieOordeel>,
}

impl Oordeel {
    pub fn prestatie(&self, ci: usize, pi: usize) -> Option<&PrestatieOordeel> {
        self.prestaties.iter().find(|p| p.ci == ci && p.pi == pi)
    }
}

/// Approved use of one allocation: net volume in the counting unit and net amount.
#[derive(Debug, Clone, Copy, Default)]
struct Gebruik {
    volume: i64,
    bedrag: i64,
}

fn gebruik_uit_state(client: Option<&ClientState>, t: &Toewijzing) -> Gebruik {
    let mut g = Gebruik::default();
    for q in client.iter().flat_map(|c| c.prestaties.iter()) {
        if q.toewijzing_nummer != t.nummer || !q.is_goedgekeurd() {
            continue;
        }
        let sign = if q.is_credit() { -1 } else { 1 };
        g.volume += sign * in_telbasis(q.volume, &q.eenheid, t).unwrap_or(0);
        g.bedrag += q.bedrag;
    }
    g
}

/// Judges every class of the declaration.
pub fn judge(d: &Declaratie, ctx: &Context) -> Oordeel {
    let mut o = Oordeel::default();
    super::push(&mut o.declaratie, tr333_declaratienummer_uniek(d, ctx));
    super::push(&mut o.declaratie, tr318_periode_sluit_aan(d, ctx));
    if !o.declaratie.is_empty() {
        return o;
    }
    for (ci, c) in d.clienten.client.iter().enumerate() {
        let mut hits = Vec::new();
        super::push(
            &mut hits,
            tr304_client_bekend(ctx.client(&c.bsn), Place::declaratie_client(ci)),
        );
        o.clienten.push(hits);
    }
    let mut refs_seen: HashSet<&str> = HashSet::new();
    let mut first_ref: HashMap<(usize, usize), bool> = HashMap::new();
    for (ci, pi, p) in d.prestaties() {
        let dup = !refs_seen.insert(p.product_referentie.referentie_nummer.as_str());
        first_ref.insert((ci, pi), dup);
    }
    let mut gecrediteerd: HashSet<String> = HashSet::new();
    let mut gebruik: HashMap<i64, Gebruik> = HashMap::new();
    let mut verdicts: HashMap<(usize, usize), PrestatieOordeel> = HashMap::new();
    let credits_first = d
        .prestaties()
        .filter(|(_, _, p)| p.product_referentie.vorig_referentie_nummer.is_some())
        .chain(
            d.prestaties()
                .filter(|(_, _, p)| p.product_referentie.vorig_referentie_nummer.is_none()),
        );
    for (ci, pi, p) in credits_first {
        let c = &d.clienten.client[ci];
        let place = Place::prestatie(ci, pi);
        let niet_beoordeeld = !o.clienten[ci].is_empty();
        let mut hits = Vec::new();
        if !niet_beoordeeld {
            let dup = first_ref.get(&(ci, pi)).copied().unwrap_or(false);
            hits = judge_prestatie(p, d, &c.bsn, ctx, dup, &gecrediteerd, &mut gebruik, place);
        }
        let oordeel = PrestatieOordeel {
            ci,
            pi,
            hits,
            niet_beoordeeld,
        };
        if oordeel.goedgekeurd() {
            if let Some(v) = &p.product_referentie.vorig_referentie_nummer {
                gecrediteerd.insert(v.clone());
            }
        }
        verdicts.insert((ci, pi), oordeel);
    }
    o.prestaties = d
        .prestaties()
        .filter_map(|(ci, pi, _)| verdicts.remove(&(ci, pi)))
        .collect();
    o
}

/// Every rule on one prestatie; updates the approved use of its allocation when it passes.
#[allow(clippy::too_many_arguments)]
fn judge_prestatie(
    p: &Prestatie,
    d: &Declaratie,
    bsn: &str,
    ctx: &Context,
    dup_in_bericht: bool,
    gecrediteerd: &HashSet<String>,
    gebruik: &mut HashMap<i64, Gebruik>,
    place: Place,
) -> Vec<Hit> {
    let client = ctx.client(bsn);
    let mut hits = Vec::new();
    super::push(
        &mut hits,
        tr314_referentienummer_uniek(p, ctx, dup_in_bericht, place.clone()),
    );
    if let Some(h) = tr304_prestatie_van_client(p, bsn, ctx, place.clone()) {
        hits.push(h);
        return hits;
    }
    let credit = p.product_referentie.vorig_referentie_nummer.is_some();
    if credit {
        super::push(&mut hits, tr323_credit_heeft_debet(p, ctx, place.clone()));
        super::push(&mut hits, tr390_credit_eenmalig(p, ctx, place.clone()));
    } else {
        super::push(&mut hits, tr319_in_declaratieperiode(p, d, place.clone()));
        super::push(
            &mut hits,
            tr389_geen_tweede_debet(p, client, gecrediteerd, place.clone()),
        );
    }
    let t = match tr338_gekoppeld_aan_toewijzing(p, client, place.clone()) {
        Ok(t) => t,
        Err(h) => {
            if !credit {
                hits.push(h);
            }
            return hits;
        }
    };
    let g = gebruik
        .entry(t.nummer)
        .or_insert_with(|| gebruik_uit_state(client, t));
    if credit {
        if hits.is_empty() {
            g.volume -= in_telbasis(p.geleverd_volume, &p.eenheid, t).unwrap_or(0);
            g.bedrag += p.ingediend_bedrag.signed();
        }
        return hits;
    }
    if let Some(h) = tr384_niet_op_verwijderde_toewijzing(t, place.clone()) {
        hits.push(h);
        return hits;
    }
    super::push(&mut hits, tr339_categorie_past(p, t, place.clone()));
    super::push(&mut hits, tr340_productcode_past(p, t, place.clone()));
    super::push(&mut hits, tr341_eenheid_past(p, t, place.clone()));
    super::push(
        &mut hits,
        tr307_begin_binnen_toewijzing(p, t, place.clone()),
    );
    super::push(&mut hits, tr308_eind_binnen_toewijzing(p, t, place.clone()));
    super::push(&mut hits, tr387_begin_op_maandgrens(p, t, place.clone()));
    super::push(&mut hits, tr388_eind_op_maandgrens(p, t, place.clone()));
    super::push(&mut hits, tr321_volume_per_prestatie(p, t, place.clone()));
    super::push(
        &mut hits,
        tr322_volume_totaal(p, t, g.volume, place.clone()),
    );
    super::push(&mut hits, tr369_binnen_budget(p, t, g.bedrag, place));
    if hits.is_empty() {
        g.volume += in_telbasis(p.geleverd_volume, &p.eenheid, t).unwrap_or(0);
        g.bedrag += p.ingediend_bedrag.signed();
    }
    hits
}

/// Judges a 323 and answers it with a 325 (see the module documentation of [`super`] for who
/// gets what).
pub fn decide(d: &Declaratie, input: &DecideInput, ctx: &Context) -> Outcome {
    let o = judge(d, ctx);
    if !o.declaratie.is_empty() {
        let (out, retour_codes) = answer::antwoord_325(input, d, &o);
        return Outcome {
            verdict: Verdict::Rejected,
            retour_codes,
            changes: Vec::new(),
            outgoing: vec![out],
        };
    }
    let approved = o.prestaties.iter().filter(|p| p.goedgekeurd()).count();
    let verdict = if approved == o.prestaties.len() {
        Verdict::Accepted
    } else if approved == 0 {
        Verdict::Rejected
    } else {
        Verdict::PartlyAccepted
    };
    let (antwoord, retour_codes) = answer::antwoord_325(input, d, &o);
    let mut outgoing = vec![antwoord.clone()];
    if approved > 0 {
        let (gemeente, _) = super::partijen(input.msg);
        outgoing.push(super::forward(input.msg, input.text));
        outgoing.push(crate::state::Outgoing {
            routing_key: crate::state::Outgoing::routing_key_gemeente(gemeente, antwoord.kind),
            ..antwoord
        });
    }
    Outcome {
        verdict,
        retour_codes,
        changes: apply::declaratie(d, input, &o),
        outgoing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::model::{
        BedragMetDc, Clienten, DebetCredit, DeclaratieClient, GeslotenPeriode, Prestaties,
        Referentie, TotaalBedragMetDc,
    };
    use crate::rules::cross::testutil::*;
    use crate::state::{Owner, PrestatieStatus};

    /// A declared prestatie on allocation 17 (45A03, hours).
    fn mp(
        r: &str,
        vorig: Option<&str>,
        begin: NaiveDate,
        end: NaiveDate,
        volume: i64,
    ) -> Prestatie {
        let dc = if vorig.is_some() {
            DebetCredit::C
        } else {
            DebetCredit::D
        };
        Prestatie {
            product_referentie: Referentie {
                referentie_nummer: r.into(),
                vorig_referentie_nummer: vorig.map(str::to_string),
            },
            toewijzing_nummer: 17,
            product_categorie: "45".into(),
            product_code: "45A03".into(),
            product_periode: GeslotenPeriode {
                begindatum: begin,
                einddatum: end,
            },
            geleverd_volume: volume,
            eenheid: "04".into(),
            product_tarief: Some(9385),
            ingediend_bedrag: BedragMetDc {
                bedrag: volume * 9385,
                debet_credit: dc,
            },
            retour_codes: None,
        }
    }

    fn aug(r: &str, volume: i64) -> Prestatie {
        mp(r, None, d(2026, 8, 1), d(2026, 8, 31), volume)
    }

    fn decl(prestaties: Vec<Prestatie>) -> Declaratie {
        let total: i64 = prestaties.iter().map(|p| p.ingediend_bedrag.signed()).sum();
        Declaratie {
            declaratie_nummer: "D202609".into(),
            declaratie_periode: GeslotenPeriode {
                begindatum: d(2026, 9, 1),
                einddatum: d(2026, 9, 30),
            },
            declaratie_dagtekening: d(2026, 10, 6),
            totaal_ingediend_bedrag: TotaalBedragMetDc {
                totaal_bedrag: total.abs(),
                debet_credit: if total < 0 {
                    DebetCredit::C
                } else {
                    DebetCredit::D
                },
            },
            clienten: Clienten {
                client: vec![DeclaratieClient {
                    bsn: BSN.into(),
                    prestaties: Prestaties {
                        prestatie: prestaties,
                    },
                    retour_codes: None,
                }],
            },
        }
    }

    fn at() -> Place {
        Place::prestatie(0, 0)
    }

    #[test]
    fn tr333_declaration_number_unique() {
        let mut ctx = Context::default();
        assert_eq!(tr333_declaratienummer_uniek(&decl(vec![]), &ctx), None);
        ctx.declaratie_nummer_used = true;
        let h = tr333_declaratienummer_uniek(&decl(vec![]), &ctx).unwrap();
        assert_eq!((h.rule, h.code), ("TR333", "9333"));
        assert_eq!(h.place, Place::declaratie());
    }

    #[test]
    fn tr318_no_earlier_period() {
        let mut ctx = Context::default();
        assert_eq!(tr318_periode_sluit_aan(&decl(vec![]), &ctx), None);
        ctx.last_declaratie_periode = Some(d(2026, 9, 1));
        assert_eq!(
            tr318_periode_sluit_aan(&decl(vec![]), &ctx),
            None,
            "same period again"
        );
        ctx.last_declaratie_periode = Some(d(2026, 6, 1));
        assert_eq!(tr318_periode_sluit_aan(&decl(vec![]), &ctx), None, "gap");
        ctx.last_declaratie_periode = Some(d(2026, 10, 1));
        let h = tr318_periode_sluit_aan(&decl(vec![]), &ctx).unwrap();
        assert_eq!((h.rule, h.code), ("TR318", "8214"));
    }

    #[test]
    fn tr314_reference_unique() {
        let mut ctx = Context::default();
        let p = aug("R9", 10);
        assert_eq!(tr314_referentienummer_uniek(&p, &ctx, false, at()), None);
        let h = tr314_referentienummer_uniek(&p, &ctx, true, at()).unwrap();
        assert_eq!((h.rule, h.code), ("TR314", "8021"));
        let mut rejected = prestatie("R9", None, 17, 1000);
        rejected.status = PrestatieStatus::Afgewezen;
        ctx.prestaties.insert("R9".into(), vec![rejected]);
        assert!(tr314_referentienummer_uniek(&p, &ctx, false, at()).is_some());
        // a credit stored under the debit's number does not use up that number
        ctx.prestaties
            .insert("R9".into(), vec![prestatie("R10", Some("R9"), 17, -1000)]);
        assert_eq!(tr314_referentienummer_uniek(&p, &ctx, false, at()), None);
    }

    #[test]
    fn tr304_prestatie_of_this_client() {
        let mut ctx = Context::default();
        let p = aug("R9", 10);
        assert_eq!(tr304_prestatie_van_client(&p, BSN, &ctx, at()), None);
        ctx.toewijzing_owners.insert(
            17,
            Owner {
                bsn: BSN.into(),
                agb: AGB.into(),
            },
        );
        assert_eq!(tr304_prestatie_van_client(&p, BSN, &ctx, at()), None);
        ctx.toewijzing_owners.insert(
            17,
            Owner {
                bsn: OTHER_BSN.into(),
                agb: AGB.into(),
            },
        );
        let h = tr304_prestatie_van_client(&p, BSN, &ctx, at()).unwrap();
        assert_eq!((h.rule, h.code), ("TR304", "8187"));
        let credit = mp("R10", Some("R1"), d(2026, 8, 1), d(2026, 8, 31), 10);
        let mut debit = prestatie("R1", None, 17, 93850);
        debit.bsn = OTHER_BSN.into();
        ctx.prestaties.insert("R1".into(), vec![debit]);
        assert!(tr304_prestatie_van_client(&credit, BSN, &ctx, at()).is_some());
    }

    #[test]
    fn tr323_credit_needs_approved_debit() {
        let mut ctx = Context::default();
        let credit = mp("R10", Some("R1"), d(2026, 8, 1), d(2026, 8, 31), 10);
        let h = tr323_credit_heeft_debet(&credit, &ctx, at()).unwrap();
        assert_eq!((h.rule, h.code), ("TR323", "8017"));
        ctx.prestaties
            .insert("R1".into(), vec![prestatie("R1", None, 17, 93850)]);
        assert_eq!(tr323_credit_heeft_debet(&credit, &ctx, at()), None);
        let mut rejected = prestatie("R1", None, 17, 93850);
        rejected.status = PrestatieStatus::Afgewezen;
        ctx.prestaties.insert("R1".into(), vec![rejected]);
        assert!(tr323_credit_heeft_debet(&credit, &ctx, at()).is_some());
        assert_eq!(
            tr323_credit_heeft_debet(&aug("R2", 1), &ctx, at()),
            None,
            "debits pass"
        );
    }

    #[test]
    fn tr390_credit_once() {
        let mut ctx = Context::default();
        let credit = mp("R11", Some("R1"), d(2026, 8, 1), d(2026, 8, 31), 10);
        ctx.prestaties
            .insert("R1".into(), vec![prestatie("R1", None, 17, 93850)]);
        assert_eq!(tr390_credit_eenmalig(&credit, &ctx, at()), None);
        ctx.prestaties
            .get_mut("R1")
            .unwrap()
            .push(prestatie("R10", Some("R1"), 17, -93850));
        let h = tr390_credit_eenmalig(&credit, &ctx, at()).unwrap();
        assert_eq!((h.rule, h.code), ("TR390", "9390"));
    }

    #[test]
    fn tr389_second_debit_only_after_credit() {
        let cs = client_met_prestaties(vec![prestatie("R1", None, 17, 93850)]);
        let none = HashSet::new();
        let h = tr389_geen_tweede_debet(&aug("R2", 10), Some(&cs), &none, at()).unwrap();
        assert_eq!((h.rule, h.code), ("TR389", "9389"));
        let credited_here: HashSet<String> = ["R1".to_string()].into();
        assert_eq!(
            tr389_geen_tweede_debet(&aug("R2", 10), Some(&cs), &credited_here, at()),
            None
        );
        let cs2 = client_met_prestaties(vec![
            prestatie("R1", None, 17, 93850),
            prestatie("R3", Some("R1"), 17, -93850),
        ]);
        assert_eq!(
            tr389_geen_tweede_debet(&aug("R2", 10), Some(&cs2), &none, at()),
            None
        );
        let sept = mp("R2", None, d(2026, 9, 1), d(2026, 9, 30), 10);
        assert_eq!(tr389_geen_tweede_debet(&sept, Some(&cs), &none, at()), None);
    }

    #[test]
    fn tr338_linked_to_allocation() {
        let cs = client_met(vec![toewijzing(17)], vec![]);
        assert!(tr338_gekoppeld_aan_toewijzing(&aug("R1", 1), Some(&cs), at()).is_ok());
        let mut other = aug("R1", 1);
        other.toewijzing_nummer = 18;
        let h = tr338_gekoppeld_aan_toewijzing(&other, Some(&cs), at()).unwrap_err();
        assert_eq!((h.rule, h.code), ("TR338", "9338"));
        assert!(tr338_gekoppeld_aan_toewijzing(&aug("R1", 1), None, at()).is_err());
    }

    #[test]
    fn tr384_not_on_deleted_allocation() {
        assert_eq!(
            tr384_niet_op_verwijderde_toewijzing(&toewijzing(17), at()),
            None
        );
        let mut t = toewijzing(17);
        t.einddatum = Some(t.ingangsdatum);
        t.reden_wijziging = Some("13".into());
        let h = tr384_niet_op_verwijderde_toewijzing(&t, at()).unwrap();
        assert_eq!((h.rule, h.code), ("TR384", "9384"));
    }

    #[test]
    fn tr339_tr340_product_fits() {
        let t = toewijzing(17);
        assert_eq!(tr339_categorie_past(&aug("R1", 1), &t, at()), None);
        assert_eq!(tr340_productcode_past(&aug("R1", 1), &t, at()), None);
        let mut p = aug("R1", 1);
        p.product_categorie = "46".into();
        p.product_code = "46A01".into();
        assert_eq!(tr339_categorie_past(&p, &t, at()).unwrap().code, "9339");
        assert_eq!(tr340_productcode_past(&p, &t, at()).unwrap().code, "9340");
        let mut aspecific = toewijzing(17);
        aspecific.code = None;
        let mut q = aug("R1", 1);
        q.product_code = "45A99".into();
        assert_eq!(tr340_productcode_past(&q, &aspecific, at()), None);
        let mut generic = aspecific.clone();
        generic.categorie = None;
        assert_eq!(tr339_categorie_past(&p, &generic, at()), None);
    }

    #[test]
    fn tr341_unit_fits() {
        let hours = toewijzing(17);
        assert_eq!(tr341_eenheid_past(&aug("R1", 1), &hours, at()), None);
        let mut minutes = aug("R1", 90);
        minutes.eenheid = "01".into();
        assert_eq!(
            tr341_eenheid_past(&minutes, &hours, at()),
            None,
            "hours in minutes"
        );
        let mut dagdeel = aug("R1", 1);
        dagdeel.eenheid = "16".into();
        let h = tr341_eenheid_past(&dagdeel, &hours, at()).unwrap();
        assert_eq!((h.rule, h.code), ("TR341", "9341"));
        let mut in_minutes = toewijzing(17);
        in_minutes.eenheid = Some("01".into());
        assert!(tr341_eenheid_past(&aug("R1", 1), &in_minutes, at()).is_some());
        let mut budget = toewijzing(17);
        budget.eenheid = None;
        assert_eq!(
            tr341_eenheid_past(&dagdeel, &budget, at()),
            None,
            "contract unit"
        );
    }

    #[test]
    fn tr307_tr308_period_within_allocation() {
        let mut t = toewijzing(17);
        t.ingangsdatum = d(2026, 8, 8);
        t.einddatum = Some(d(2026, 8, 20));
        let ok = mp("R1", None, d(2026, 8, 8), d(2026, 8, 20), 1);
        assert_eq!(tr307_begin_binnen_toewijzing(&ok, &t, at()), None);
        assert_eq!(tr308_eind_binnen_toewijzing(&ok, &t, at()), None);
        let wide = aug("R1", 1);
        assert_eq!(
            tr307_begin_binnen_toewijzing(&wide, &t, at()).unwrap().code,
            "9307"
        );
        assert_eq!(
            tr308_eind_binnen_toewijzing(&wide, &t, at()).unwrap().code,
            "9308"
        );
        t.einddatum = None;
        assert_eq!(tr308_eind_binnen_toewijzing(&wide, &t, at()), None);
    }

    #[test]
    fn tr387_tr388_month_aligned() {
        // IV089: allocation 08-04..17-06 → April 08-04..30-04, May whole, June 01-06..17-06
        let mut t = toewijzing(17);
        t.ingangsdatum = d(2026, 4, 8);
        t.einddatum = Some(d(2026, 6, 17));
        for (b, e) in [
            (d(2026, 4, 8), d(2026, 4, 30)),
            (d(2026, 5, 1), d(2026, 5, 31)),
            (d(2026, 6, 1), d(2026, 6, 17)),
        ] {
            let p = mp("R1", None, b, e, 1);
            assert_eq!(tr387_begin_op_maandgrens(&p, &t, at()), None);
            assert_eq!(tr388_eind_op_maandgrens(&p, &t, at()), None);
        }
        let mid = mp("R1", None, d(2026, 5, 4), d(2026, 5, 29), 1);
        assert_eq!(
            tr387_begin_op_maandgrens(&mid, &t, at()).unwrap().code,
            "9387"
        );
        assert_eq!(
            tr388_eind_op_maandgrens(&mid, &t, at()).unwrap().code,
            "9388"
        );
        // before the Ingangsdatum / after the Einddatum is TR307 / TR308 only
        let early = mp("R1", None, d(2026, 4, 1), d(2026, 4, 30), 1);
        assert_eq!(tr387_begin_op_maandgrens(&early, &t, at()), None);
        let late = mp("R1", None, d(2026, 6, 1), d(2026, 6, 30), 1);
        assert_eq!(tr388_eind_op_maandgrens(&late, &t, at()), None);
    }

    #[test]
    fn tr319_not_after_the_declaration_period() {
        let dcl = decl(vec![]);
        assert_eq!(tr319_in_declaratieperiode(&aug("R1", 1), &dcl, at()), None);
        let oct = mp("R1", None, d(2026, 10, 1), d(2026, 10, 31), 1);
        let h = tr319_in_declaratieperiode(&oct, &dcl, at()).unwrap();
        assert_eq!((h.rule, h.code), ("TR319", "9319"));
    }

    #[test]
    fn weeks_are_counted_as_the_standard_says() {
        assert_eq!(iso_weken(d(2025, 10, 7), d(2025, 12, 30)), 13); // IV077
        assert_eq!(iso_weken(d(2025, 7, 7), d(2025, 7, 31)), 4); // IV076 July
        assert_eq!(iso_weken(d(2025, 8, 1), d(2025, 8, 31)), 5);
        assert_eq!(iso_weken(d(2025, 9, 1), d(2025, 9, 7)), 1);
        // IV077 output: €300/week, 07-07-2025..05-09-2025 (a Friday)
        let mut t = toewijzing(17);
        t.ingangsdatum = d(2025, 7, 7);
        t.einddatum = Some(d(2025, 9, 5));
        t.volume = Some(30000);
        t.eenheid = Some("83".into());
        assert_eq!(
            max_per_periode(&t, d(2025, 7, 7), d(2025, 7, 31)),
            Some(90000)
        );
        assert_eq!(
            max_per_periode(&t, d(2025, 8, 1), d(2025, 8, 31)),
            Some(180000)
        );
        assert_eq!(max_per_periode(&t, d(2025, 9, 1), d(2025, 9, 5)), Some(0));
        // IV078: 15 h/month from 14-10-2026: the broken month allows 15
        let mut m = toewijzing(17);
        m.ingangsdatum = d(2026, 10, 14);
        m.volume = Some(15);
        m.frequentie = Some("4".into());
        assert_eq!(
            max_per_periode(&m, d(2026, 10, 14), d(2026, 10, 31)),
            Some(15)
        );
    }

    #[test]
    fn tr321_volume_per_product_period() {
        let t = toewijzing(17); // 3 h/week; August 2026 touches 6 ISO weeks → 18 h
        assert_eq!(tr321_volume_per_prestatie(&aug("R1", 18), &t, at()), None);
        let h = tr321_volume_per_prestatie(&aug("R1", 19), &t, at()).unwrap();
        assert_eq!((h.rule, h.code), ("TR321", "9321"));
        let mut minutes = aug("R1", 18 * 60);
        minutes.eenheid = "01".into();
        assert_eq!(tr321_volume_per_prestatie(&minutes, &t, at()), None);
        minutes.geleverd_volume += 1;
        assert!(tr321_volume_per_prestatie(&minutes, &t, at()).is_some());
        let mut per_day = toewijzing(17);
        per_day.frequentie = Some("1".into());
        per_day.volume = Some(1);
        assert_eq!(
            tr321_volume_per_prestatie(&aug("R1", 31), &per_day, at()),
            None
        );
        assert!(tr321_volume_per_prestatie(&aug("R1", 32), &per_day, at()).is_some());
    }

    #[test]
    fn tr322_volume_over_the_whole_allocation() {
        let t = toewijzing(17); // 2026-07-01..2026-12-31: ISO weeks 27..53 = 27 → 81 h
        assert_eq!(max_totaal(&t), Some(81));
        let used = 70 * 60;
        assert_eq!(tr322_volume_totaal(&aug("R1", 11), &t, used, at()), None);
        let h = tr322_volume_totaal(&aug("R1", 12), &t, used, at()).unwrap();
        assert_eq!((h.rule, h.code), ("TR322", "9322"));
        let mut open = toewijzing(17);
        open.einddatum = None;
        assert_eq!(
            tr322_volume_totaal(&aug("R1", 500), &open, used, at()),
            None
        );
        let mut totaal = toewijzing(17);
        totaal.frequentie = Some("6".into());
        totaal.volume = Some(40);
        assert_eq!(max_totaal(&totaal), Some(40));
    }

    #[test]
    fn tr369_within_budget() {
        let mut t = toewijzing(17);
        t.volume = None;
        t.eenheid = None;
        t.frequentie = None;
        t.budget = Some(200_000);
        let p = aug("R1", 10); // 93 850 cents
        assert_eq!(tr369_binnen_budget(&p, &t, 100_000, at()), None);
        let h = tr369_binnen_budget(&p, &t, 110_000, at()).unwrap();
        assert_eq!((h.rule, h.code), ("TR369", "9369"));
        assert_eq!(
            tr369_binnen_budget(&p, &toewijzing(17), 10_000_000, at()),
            None
        );
    }

    #[test]
    fn credit_and_corrected_debit_in_one_message() {
        // IV086: the credit of an approved August debit and its replacement in one 323
        let cs = client_met_prestaties(vec![prestatie("R1", None, 17, 12 * 9385)]);
        let mut ctx = context_with(cs);
        ctx.prestaties
            .insert("R1".into(), vec![prestatie("R1", None, 17, 12 * 9385)]);
        let dcl = decl(vec![
            aug("R3", 14),
            mp("R2", Some("R1"), d(2026, 8, 1), d(2026, 8, 31), 12),
        ]);
        let o = judge(&dcl, &ctx);
        assert!(o.prestaties.iter().all(|p| p.goedgekeurd()), "{o:#?}");
        assert_eq!(
            (o.prestaties[0].pi, o.prestaties[1].pi),
            (0, 1),
            "document order"
        );
        // without the credit the replacement is a second debit
        let o = judge(&decl(vec![aug("R3", 14)]), &ctx);
        assert_eq!(o.prestaties[0].codes(), ["9389"]);
    }

    #[test]
    fn cumulative_volume_counts_approved_prestaties_in_order() {
        let mut t = toewijzing(17);
        t.frequentie = Some("6".into());
        t.volume = Some(20);
        let ctx = context_with(client_met(vec![t], vec![]));
        let mut sept = mp("R2", None, d(2026, 9, 1), d(2026, 9, 30), 8);
        sept.product_tarief = Some(9385);
        let o = judge(
            &decl(vec![
                aug("R1", 15),
                sept,
                mp("R3", None, d(2026, 7, 1), d(2026, 7, 31), 5),
            ]),
            &ctx,
        );
        assert_eq!(o.prestaties[0].codes(), Vec::<&str>::new());
        assert_eq!(o.prestaties[1].codes(), ["9322"]);
        assert_eq!(
            o.prestaties[2].codes(),
            Vec::<&str>::new(),
            "the rejected one does not count"
        );
    }

    #[test]
    fn unknown_client_is_not_assessed() {
        let ctx = Context::default();
        let o = judge(&decl(vec![aug("R1", 1), aug("R2", 1)]), &ctx);
        assert_eq!(o.clienten[0][0].code, "8187");
        assert!(o.prestaties.iter().all(|p| p.codes() == ["0233"]));
    }
}
