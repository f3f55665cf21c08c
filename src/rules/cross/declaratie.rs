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
//! Layer 4 (external sources):
//! - TR378 (S300): the gemeentecode in the header is on the CBS list (data,
//!   [`crate::rules::cbs`]); a header finding: the 325 carries only the header with S300;
//! - TR381 (S329), TR418 (0611) and the contract unit of TR341 read the regional contracts
//!   (`ijwmo contracts import`). They apply once a contract set has been imported; before that
//!   the region has no contract data and they are not checked;
//! - TR346 (9346): the amount is volume × tariff, with the hourly-tariff-in-minutes rounding
//!   (IV081); it needs the contract only for the exact hourly tariff.

use super::verzoek::tr304_client_bekend;
use super::{answer, apply, DecideInput, Hit, Place};
use crate::contracts::{Contract, ContractContext};
use crate::message::model::{Declaratie, Prestatie};
use crate::rules::cbs::GemeenteLijst;
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
// Layer 4: external sources (CBS list, contracts, product-code list)
// ---------------------------------------------------------------------------------------------

/// TR378 (S300): the gemeentecode in the header is on the CBS list (OP047).
///
/// Decision on the date (the rule names the allocation's Ingangsdatum for a 301): for a 323 the
/// code must be valid on the first day of the DeclaratiePeriode or of any ProductPeriode in it,
/// so a late declaration of care from before a municipal re-division keeps the old code.
pub fn tr378_gemeentecode_bestaat(
    gemeente: &str,
    d: &Declaratie,
    lijst: &GemeenteLijst,
) -> Option<Hit> {
    let mut dates = vec![d.declaratie_periode.begindatum];
    dates.extend(d.prestaties().map(|(_, _, p)| p.product_periode.begindatum));
    let valid = dates.iter().any(|on| lijst.geldig(gemeente, *on));
    (!valid).then(|| {
        Hit::new(
            "TR378",
            "S300",
            Place::header(),
            format!("gemeentecode {gemeente} is not on the CBS list for the declared periods"),
        )
    })
}

/// TR381 (S329): the ProductCode belongs to the ProductCategorie on the product-code list in
/// use.
///
/// Decision: the region's product-code list is derived from its contracts: a code is known in a
/// category when any contract (any provider, any municipality, any period) has it. A code no
/// contract knows cannot be priced either.
pub fn tr381_productcode_in_lijst(
    p: &Prestatie,
    contracten: &ContractContext,
    place: Place,
) -> Option<Hit> {
    if !contracten.in_force {
        return None;
    }
    (!contracten.product_known(&p.product_categorie, &p.product_code)).then(|| {
        Hit::new(
            "TR381",
            "S329",
            place,
            format!(
                "ProductCode {} is not on the product-code list for category {}",
                p.product_code, p.product_categorie
            ),
        )
    })
}

/// The contract pricing this prestatie: the one for this provider, gemeente and product in
/// force on the first day of the product period that still holds on its last day.
pub fn contract_voor<'a>(
    p: &Prestatie,
    gemeente: &str,
    agb: &str,
    contracten: &'a ContractContext,
) -> Option<&'a Contract> {
    let c = contracten.set.find(
        agb,
        gemeente,
        &p.product_categorie,
        &p.product_code,
        p.product_periode.begindatum,
    )?;
    c.covers(gemeente, p.product_periode.einddatum).then_some(c)
}

/// Half-up rounding of `a / b` for non-negative integers.
fn div_half_up(a: i64, b: i64) -> i64 {
    (2 * a + b) / (2 * b)
}

/// The ProductTarief a prestatie in unit `eenheid` must carry under a contract: the contract
/// tariff in the contract's unit; an hourly tariff declared in minutes as hourly ÷ 60 rounded
/// half-up to whole cents (IV081). None when the units do not fit.
pub fn tarief_in_eenheid(c: &Contract, eenheid: &str) -> Option<i64> {
    match (c.eenheid.as_str(), eenheid) {
        (ce, e) if ce == e => Some(c.tarief),
        ("04", "01") => Some(div_half_up(c.tarief, 60)),
        _ => None,
    }
}

/// TR418 (0611): the ProductTarief equals the contract tariff for the product (OP262, §5.3).
///
/// Decisions:
/// - no contract for this provider, gemeente, product and period — an uncontracted product, or
///   a product period outside the contract's validity — is answered with 0611 too: the
///   standard has no code for "no contract" on a 323, and without a contract there is no
///   contractual tariff the declared one could equal (S329 is kept for codes unknown to the
///   whole region, TR381). A product period covered only partly counts as not covered;
/// - an hourly contract tariff declared in minutes must be declared as hourly ÷ 60, rounded
///   half-up (IV081); a unit the contract has no tariff for is 0611 as well;
/// - unit 83 (euro's) has no ProductTarief (CD087): only the contract's existence is checked.
pub fn tr418_tarief_volgens_contract(
    p: &Prestatie,
    gemeente: &str,
    agb: &str,
    contracten: &ContractContext,
    place: Place,
) -> Option<Hit> {
    if !contracten.in_force {
        return None;
    }
    let hit = |message: String| Some(Hit::new("TR418", "0611", place.clone(), message));
    let Some(c) = contract_voor(p, gemeente, agb, contracten) else {
        return hit(format!(
            "no contract of this provider for product {} in gemeente {gemeente} covers {}..{}",
            p.product_code, p.product_periode.begindatum, p.product_periode.einddatum
        ));
    };
    if p.eenheid == "83" {
        return None;
    }
    let Some(expected) = tarief_in_eenheid(c, &p.eenheid) else {
        return hit(format!(
            "the contract prices {} per unit {}, not per unit {}",
            p.product_code, c.eenheid, p.eenheid
        ));
    };
    match p.product_tarief {
        Some(t) if t != expected => hit(format!(
            "ProductTarief {t} is not the contract tariff {expected} for unit {}",
            p.eenheid
        )),
        _ => None,
    }
}

/// TR341 (9341) with the contract: under an allocation without a unit (aspecific or generic)
/// the prestatie is declared in the unit of the contract, or in minutes when the contract
/// prices hours (IV081).
pub fn tr341_eenheid_past_contract(
    p: &Prestatie,
    t: &Toewijzing,
    contract: Option<&Contract>,
    place: Place,
) -> Option<Hit> {
    if t.eenheid.is_some() || p.eenheid == "83" {
        return None;
    }
    let c = contract?;
    tarief_in_eenheid(c, &p.eenheid).is_none().then(|| {
        Hit::new(
            "TR341",
            "9341",
            place,
            format!(
                "Eenheid {} does not fit the contract unit {}",
                p.eenheid, c.eenheid
            ),
        )
    })
}

/// The amount TR346 expects from volume and tariff (eurocents, unsigned), or None when it
/// cannot be computed (unit 83, or no tariff).
///
/// An hourly tariff declared in minutes is priced from the unrounded hourly tariff:
/// `round_half_up(hourly × minutes / 60)` (IV081, §6.1 of the messages digest). With the
/// contract the hourly tariff is known. Without one, the ProductTarief is the hourly tariff ÷ 60
/// rounded, and every hourly tariff that rounds to it is tried: the amount must match one of
/// them — or be plain volume × ProductTarief (a contract per minute).
pub fn tr346_verwacht(p: &Prestatie, uurtarief: Option<i64>) -> Option<Vec<i64>> {
    if p.eenheid == "83" {
        return None;
    }
    let v = p.geleverd_volume;
    if p.eenheid == "01" {
        if let Some(h) = uurtarief {
            return Some(vec![div_half_up(h * v, 60)]);
        }
        let t = p.product_tarief?;
        let mut out = vec![v * t];
        let lowest = (60 * t - 30).max(0);
        out.extend((lowest..60 * t + 30).map(|h| div_half_up(h * v, 60)));
        out.sort_unstable();
        out.dedup();
        return Some(out);
    }
    Some(vec![v * p.product_tarief?])
}

/// TR346 (9346): when Eenheid ≠ 83, IngediendBedrag = GeleverdVolume × ProductTarief; an hourly
/// tariff declared in minutes is rounded once, over the whole amount (IV081; see
/// [`tr346_verwacht`]). `uurtarief` is the contract's hourly tariff when the contract prices
/// hours.
pub fn tr346_bedrag_is_volume_maal_tarief(
    p: &Prestatie,
    uurtarief: Option<i64>,
    place: Place,
) -> Option<Hit> {
    let expected = tr346_verwacht(p, uurtarief)?;
    let bedrag = p.ingediend_bedrag.bedrag;
    (!expected.contains(&bedrag)).then(|| {
        let shown = if expected.len() == 1 {
            expected[0].to_string()
        } else {
            format!("one of {}..{}", expected[0], expected[expected.len() - 1])
        };
        Hit::new(
            "TR346",
            "9346",
            place,
            format!("IngediendBedrag {bedrag} is not volume × tariff ({shown})"),
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

/// Judges every class of the declaration without knowing the parties (the contract rules then
/// find no contract; for tests of the other rules).
pub fn judge(d: &Declaratie, ctx: &Context) -> Oordeel {
    judge_for(d, ctx, "", "")
}

/// Judges every class of the declaration of provider `agb` to `gemeente` (the header's Afzender
/// and Ontvanger), which the contract rules need.
pub fn judge_for(d: &Declaratie, ctx: &Context, gemeente: &str, agb: &str) -> Oordeel {
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
            let partijen = (gemeente, agb);
            hits = judge_prestatie(
                p,
                d,
                &c.bsn,
                ctx,
                dup,
                &gecrediteerd,
                &mut gebruik,
                place,
                partijen,
            );
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
    (gemeente, agb): (&str, &str),
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
        let contracten = &ctx.contracts;
        let bekend = tr381_productcode_in_lijst(p, contracten, place.clone());
        let onbekende_code = bekend.is_some();
        super::push(&mut hits, bekend);
        if !onbekende_code {
            super::push(
                &mut hits,
                tr418_tarief_volgens_contract(p, gemeente, agb, contracten, place.clone()),
            );
        }
        let uurtarief = contract_voor(p, gemeente, agb, contracten)
            .filter(|c| c.eenheid == "04")
            .map(|c| c.tarief);
        super::push(
            &mut hits,
            tr346_bedrag_is_volume_maal_tarief(p, uurtarief, place.clone()),
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
        tr341_eenheid_past_contract(
            p,
            t,
            contract_voor(p, gemeente, agb, &ctx.contracts),
            place.clone(),
        ),
    );
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
    let (gemeente, agb) = super::partijen(input.msg);
    if let Some(h) = tr378_gemeentecode_bestaat(gemeente, d, GemeenteLijst::embedded()) {
        return answer::header_rejection(input, &[h.code]);
    }
    let o = judge_for(d, ctx, gemeente, agb);
    if !o.declaratie.is_empty() {
        let (out, retour_codes) = answer::antwoord_325(input, d, &o);
        return Outcome {
            verdict: Verdict::Rejected,
            retour_codes,
            changes: Vec::new(),
            outgoing: vec![out],
            facts: Vec::new(),
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
        facts: Vec::new(),
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

    // -- layer 4 ------------------------------------------------------------------------------

    const CSV_HEADER: &str = "agb,gemeente,categorie,productcode,eenheid,tarief,geldig_van,geldig_tot,segment,budgetplafond\n";

    /// 45A03 at 9385 per hour for AGB in Gouda during 2026; 45A07 per piece region-wide.
    fn contracten() -> ContractContext {
        let csv = format!(
            "{CSV_HEADER}{AGB},0513,45,45A03,04,9385,2026-01-01,2026-12-31,jeugd-ambulant,\n\
             {AGB},*,45,45A07,84,2500,2026-01-01,,jeugd-ambulant,\n\
             12345678,0627,46,46A01,14,21000,2026-01-01,,verblijf,\n"
        );
        ContractContext::of(crate::contracts::ContractSet::from_csv(&csv).unwrap())
    }

    #[test]
    fn tr418_tariff_equals_the_contract() {
        let c = contracten();
        assert_eq!(
            tr418_tarief_volgens_contract(&aug("R1", 10), GEMEENTE, AGB, &c, at()),
            None
        );
        let mut wrong = aug("R1", 10);
        wrong.product_tarief = Some(9490);
        let h = tr418_tarief_volgens_contract(&wrong, GEMEENTE, AGB, &c, at()).unwrap();
        assert_eq!((h.rule, h.code), ("TR418", "0611"));
        assert!(h.message.contains("9385"), "{}", h.message);
        // no contract set imported: not checked
        assert_eq!(
            tr418_tarief_volgens_contract(&wrong, GEMEENTE, AGB, &ContractContext::default(), at()),
            None
        );
    }

    #[test]
    fn tr418_uncontracted_product_and_period_outside_the_contract() {
        let c = contracten();
        // 46A01 is on the region's list, but not contracted with this provider
        let mut other = aug("R1", 2);
        other.product_categorie = "46".into();
        other.product_code = "46A01".into();
        let h = tr418_tarief_volgens_contract(&other, GEMEENTE, AGB, &c, at()).unwrap();
        assert_eq!(h.code, "0611");
        assert!(h.message.contains("no contract"), "{}", h.message);
        // contracted for Gouda only
        assert!(tr418_tarief_volgens_contract(&aug("R1", 2), "0627", AGB, &c, at()).is_some());
        // the contract ends 2026-12-31: January 2027 lies outside it
        let jan = mp("R1", None, d(2027, 1, 1), d(2027, 1, 31), 2);
        let h = tr418_tarief_volgens_contract(&jan, GEMEENTE, AGB, &c, at()).unwrap();
        assert_eq!((h.rule, h.code), ("TR418", "0611"));
        // another provider
        assert!(
            tr418_tarief_volgens_contract(&aug("R1", 2), GEMEENTE, "87654321", &c, at()).is_some()
        );
    }

    #[test]
    fn tr418_hourly_tariff_declared_in_minutes() {
        let c = contracten();
        let mut m = aug("R1", 95);
        m.eenheid = "01".into();
        // 9385 / 60 = 156.42 → 156
        m.product_tarief = Some(156);
        m.ingediend_bedrag.bedrag = 14860; // 9385 × 95 / 60 = 14859.58 → 14860
        assert_eq!(
            tr418_tarief_volgens_contract(&m, GEMEENTE, AGB, &c, at()),
            None
        );
        m.product_tarief = Some(157);
        assert!(tr418_tarief_volgens_contract(&m, GEMEENTE, AGB, &c, at()).is_some());
        // a unit the contract has no tariff for
        let mut dagdeel = aug("R1", 2);
        dagdeel.eenheid = "16".into();
        let h = tr418_tarief_volgens_contract(&dagdeel, GEMEENTE, AGB, &c, at()).unwrap();
        assert!(h.message.contains("per unit 04"), "{}", h.message);
    }

    #[test]
    fn tr346_amount_is_volume_times_tariff() {
        assert_eq!(
            tr346_bedrag_is_volume_maal_tarief(&aug("R1", 14), None, at()),
            None
        );
        let mut p = aug("R1", 14);
        p.ingediend_bedrag.bedrag += 1;
        let h = tr346_bedrag_is_volume_maal_tarief(&p, None, at()).unwrap();
        assert_eq!((h.rule, h.code), ("TR346", "9346"));
        // minutes on an hourly tariff: rounded once over the whole amount (IV081)
        let mut m = aug("R1", 95);
        m.eenheid = "01".into();
        m.product_tarief = Some(156);
        m.ingediend_bedrag.bedrag = 14860;
        assert_eq!(
            tr346_bedrag_is_volume_maal_tarief(&m, Some(9385), at()),
            None
        );
        // 95 × 156 = 14820 would be the rounded tariff times the minutes: wrong
        m.ingediend_bedrag.bedrag = 14820;
        assert!(tr346_bedrag_is_volume_maal_tarief(&m, Some(9385), at()).is_some());
        // without a contract every hourly tariff that rounds to 156 is tried
        m.ingediend_bedrag.bedrag = 14860;
        assert_eq!(tr346_bedrag_is_volume_maal_tarief(&m, None, at()), None);
        m.ingediend_bedrag.bedrag = 15000;
        assert!(tr346_bedrag_is_volume_maal_tarief(&m, None, at()).is_some());
        // half-up: 9390 × 1 / 60 = 156.5 → 157
        m.geleverd_volume = 1;
        m.ingediend_bedrag.bedrag = 157;
        assert_eq!(
            tr346_bedrag_is_volume_maal_tarief(&m, Some(9390), at()),
            None
        );
        // euro's: no tariff, nothing to compute
        let mut e = aug("R1", 20000);
        e.eenheid = "83".into();
        e.product_tarief = None;
        e.ingediend_bedrag.bedrag = 20000;
        assert_eq!(tr346_bedrag_is_volume_maal_tarief(&e, None, at()), None);
    }

    #[test]
    fn tr381_product_code_on_the_list() {
        let c = contracten();
        assert_eq!(tr381_productcode_in_lijst(&aug("R1", 1), &c, at()), None);
        let mut p = aug("R1", 1);
        p.product_code = "45A99".into();
        let h = tr381_productcode_in_lijst(&p, &c, at()).unwrap();
        assert_eq!((h.rule, h.code), ("TR381", "S329"));
        // known code in another category
        p.product_categorie = "46".into();
        p.product_code = "45A03".into();
        assert!(tr381_productcode_in_lijst(&p, &c, at()).is_some());
        assert_eq!(
            tr381_productcode_in_lijst(&p, &ContractContext::default(), at()),
            None
        );
    }

    #[test]
    fn tr378_gemeentecode_on_the_cbs_list() {
        let lijst = GemeenteLijst::embedded();
        assert_eq!(
            tr378_gemeentecode_bestaat("0513", &decl(vec![]), lijst),
            None
        );
        let h = tr378_gemeentecode_bestaat("0598", &decl(vec![]), lijst).unwrap();
        assert_eq!((h.rule, h.code), ("TR378", "S300"));
        assert_eq!(h.place, Place::header());
        // a code that ended before the declaration period but was valid for the care declared
        let old = GemeenteLijst::parse("0598||2026-08-31|Opgeheven\n").unwrap();
        assert!(tr378_gemeentecode_bestaat("0598", &decl(vec![]), &old).is_some());
        assert_eq!(
            tr378_gemeentecode_bestaat("0598", &decl(vec![aug("R1", 1)]), &old),
            None
        );
    }

    #[test]
    fn tr341_unit_of_the_contract_under_an_aspecific_allocation() {
        let c = contracten();
        let mut t = toewijzing(17);
        t.code = None;
        t.volume = None;
        t.eenheid = None;
        t.frequentie = None;
        let contract = contract_voor(&aug("R1", 1), GEMEENTE, AGB, &c);
        assert!(contract.is_some());
        assert_eq!(
            tr341_eenheid_past_contract(&aug("R1", 1), &t, contract, at()),
            None
        );
        let mut m = aug("R1", 60);
        m.eenheid = "01".into();
        assert_eq!(tr341_eenheid_past_contract(&m, &t, contract, at()), None);
        m.eenheid = "16".into();
        let h = tr341_eenheid_past_contract(&m, &t, contract, at()).unwrap();
        assert_eq!((h.rule, h.code), ("TR341", "9341"));
        // a specific allocation has its own unit: plain TR341
        assert_eq!(
            tr341_eenheid_past_contract(&m, &toewijzing(17), contract, at()),
            None
        );
    }

    #[test]
    fn contract_rules_in_the_whole_judgement() {
        let mut ctx = context_with(client_met(vec![toewijzing(17)], vec![]));
        ctx.contracts = contracten();
        let mut wrong = aug("R2", 10);
        wrong.product_tarief = Some(9490);
        wrong.ingediend_bedrag.bedrag = 94900;
        let mut unknown = mp("R3", None, d(2026, 9, 1), d(2026, 9, 30), 1);
        unknown.product_code = "45A99".into();
        let o = judge_for(
            &decl(vec![aug("R1", 10), wrong, unknown]),
            &ctx,
            GEMEENTE,
            AGB,
        );
        assert_eq!(o.prestaties[0].codes(), Vec::<&str>::new());
        assert_eq!(o.prestaties[1].codes(), ["0611"]);
        // an unknown code: S329 only (no 0611 on top), and 9340 because the allocation is 45A03
        assert_eq!(o.prestaties[2].codes(), ["S329", "9340"]);
    }
}
