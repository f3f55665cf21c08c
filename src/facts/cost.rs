//! Cost facts: one row per declared prestatie (what was declared, approved and rejected, with
//! credits netted against the debit they reverse) and one per allocation (the commitment it
//! represents), and from them realisation, remaining commitments and the forecast for a year.
//!
//! All money is integer eurocents. Decisions:
//! - a prestatie's month is the month of its ProductPeriode (a credit repeats its debit's
//!   period, IV091, so it nets in the month it corrects);
//! - netting: a debit's `net_cents` is its approved amount plus the approved credits that
//!   reverse it; the credit's own `net_cents` is 0, so summing `net_cents` or `approved_cents`
//!   gives the same realisation, and `net_cents` shows per line what is left of a debit;
//! - commitment of an allocation (its current version; a deleted one has none): the Budget;
//!   or the Omvang over the validity — Volume per day × days, per week × ISO weeks touched,
//!   per month × calendar months touched, or the total (frequency 6) — priced at the contract
//!   tariff for the product on the Ingangsdatum (unit 83 is already euros). Open-ended
//!   per-period allocations and allocations without a price (aspecific, no contract) have no
//!   commitment over their validity; within a year they do (see [`commitment_in_year`]);
//! - when every delivery on an allocation was stopped definitively, the commitment ends on the
//!   last stop's Einddatum: no more care will be declared on it.

use super::timeliness::std_code;
use crate::contracts::{Contract, ContractContext};
use crate::message::kind::Standard;
use crate::protocol::deadlines::{first_of_month, local_date};
use crate::rules::cross::declaratie::iso_weken;
use crate::state::{ClientState, Toewijzing};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::Serialize;

/// One declared prestatie (debit or credit), as the dashboard sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrestatieKosten {
    pub key: String,
    pub scope: String,
    pub standard: Standard,
    pub gemeente: String,
    pub agb: String,
    /// Pseudonym of the client.
    pub client: String,
    pub declaratie_nummer: String,
    pub referentie_nummer: String,
    pub vorig_referentie_nummer: Option<String>,
    pub toewijzing_nummer: i64,
    pub categorie: String,
    pub productcode: String,
    /// The contract's segment for the product, if contracted.
    pub segment: Option<String>,
    /// First day of the ProductPeriode's month.
    pub period_month: NaiveDate,
    /// `D` or `C`.
    pub debet_credit: String,
    pub volume: i64,
    pub eenheid: String,
    pub tarief: Option<i64>,
    /// Signed (credit negative).
    pub declared_cents: i64,
    /// Signed; 0 when rejected.
    pub approved_cents: i64,
    /// Signed; the declared amount when rejected, else 0.
    pub rejected_cents: i64,
    /// Debit: approved minus what approved credits took back; credit: 0 (netted in its debit).
    pub net_cents: i64,
    /// True for an approved debit that an approved credit reversed.
    pub credited: bool,
    /// `goedgekeurd` or `afgewezen`.
    pub status: String,
    /// The 325's codes on this prestatie, space-separated (empty when approved).
    pub retour_codes: String,
    pub received_at: DateTime<Utc>,
    pub received_on: NaiveDate,
}

/// One allocation and the money it commits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ToewijzingKosten {
    pub key: String,
    pub scope: String,
    pub standard: Standard,
    pub gemeente: String,
    pub agb: String,
    pub client: String,
    pub toewijzing_nummer: i64,
    pub categorie: Option<String>,
    pub productcode: Option<String>,
    pub segment: Option<String>,
    pub ingangsdatum: NaiveDate,
    pub einddatum: Option<NaiveDate>,
    /// Last day care can be declared on: the Einddatum, or the last definitive stop's
    /// Einddatum when every delivery was stopped.
    pub commitment_end: Option<NaiveDate>,
    pub volume: Option<i64>,
    pub eenheid: Option<String>,
    pub frequentie: Option<String>,
    pub budget: Option<i64>,
    /// The contract tariff (eurocents per `tarief_eenheid`).
    pub tarief: Option<i64>,
    pub tarief_eenheid: Option<String>,
    /// `budget`, `omvang` or `geen`.
    pub basis: String,
    /// Over [ingangsdatum, commitment_end]; None when open-ended or unpriced.
    pub commitment_cents: Option<i64>,
    /// Net approved on this allocation so far.
    pub realised_cents: i64,
    /// Request, start, end and the 18th birthday's month (see [`super::traject`]).
    #[serde(flatten)]
    pub traject: super::traject::Traject,
}

/// Half-up rounding of `a / b` for a non-negative `b` (any sign of `a`).
pub fn div_half_up(a: i64, b: i64) -> i64 {
    if a >= 0 {
        (2 * a + b) / (2 * b)
    } else {
        -((-2 * a + b) / (2 * b))
    }
}

/// The prestatie rows of one client.
pub fn prestatie_rows(
    scope: &str,
    client: &str,
    state: &ClientState,
    contracts: &ContractContext,
) -> Vec<PrestatieKosten> {
    let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let mut out = Vec::new();
    for p in &state.prestaties {
        let n = seen.entry(p.referentie_nummer.as_str()).or_insert(0);
        *n += 1;
        let approved = if p.is_goedgekeurd() { p.bedrag } else { 0 };
        let credits: i64 = if p.is_credit() || !p.is_goedgekeurd() {
            0
        } else {
            state
                .prestaties
                .iter()
                .filter(|c| {
                    c.is_goedgekeurd()
                        && c.vorig_referentie_nummer.as_deref() == Some(&p.referentie_nummer)
                })
                .map(|c| c.bedrag)
                .sum()
        };
        let net = if p.is_credit() { 0 } else { approved + credits };
        let segment = contracts
            .set
            .find(&p.agb, &p.gemeente, &p.categorie, &p.code, p.begindatum)
            .map(|c| c.segment.clone());
        out.push(PrestatieKosten {
            key: format!("{scope}|P|{}|{}", p.referentie_nummer, n),
            scope: scope.to_string(),
            standard: p.standard,
            gemeente: p.gemeente.clone(),
            agb: p.agb.clone(),
            client: client.to_string(),
            declaratie_nummer: p.declaratie_nummer.clone(),
            referentie_nummer: p.referentie_nummer.clone(),
            vorig_referentie_nummer: p.vorig_referentie_nummer.clone(),
            toewijzing_nummer: p.toewijzing_nummer,
            categorie: p.categorie.clone(),
            productcode: p.code.clone(),
            segment,
            period_month: first_of_month(p.begindatum),
            debet_credit: if p.is_credit() { "C" } else { "D" }.to_string(),
            volume: p.volume,
            eenheid: p.eenheid.clone(),
            tarief: p.tarief,
            declared_cents: p.bedrag,
            approved_cents: approved,
            rejected_cents: p.bedrag - approved,
            net_cents: net,
            credited: credits != 0,
            status: if p.is_goedgekeurd() {
                "goedgekeurd"
            } else {
                "afgewezen"
            }
            .to_string(),
            retour_codes: p.retour_codes.join(" "),
            received_at: p.received_at,
            received_on: local_date(p.received_at),
        });
    }
    out
}

/// The price in eurocents of `units` of the allocation's unit under a contract, converting
/// hours and minutes.
pub fn price(units: i64, eenheid: &str, c: &Contract) -> Option<i64> {
    if eenheid == "83" {
        return Some(units);
    }
    match (eenheid, c.eenheid.as_str()) {
        (a, b) if a == b => Some(units * c.tarief),
        ("04", "01") => Some(units * 60 * c.tarief),
        ("01", "04") => Some(div_half_up(units * c.tarief, 60)),
        _ => None,
    }
}

/// The end of care on an allocation: the last definitive stop's Einddatum when every delivery
/// on it was stopped definitively (and there was one), else None.
fn zorg_beeindigd(state: &ClientState, nummer: i64) -> Option<NaiveDate> {
    super::traject::definitive_end(state, nummer).map(|(end, _)| end)
}

/// The contract pricing an allocation: for its product on its Ingangsdatum (a specific
/// allocation; aspecific and generic ones have no single price).
fn contract_of<'a>(t: &Toewijzing, contracts: &'a ContractContext) -> Option<&'a Contract> {
    contracts.set.find(
        &t.agb,
        &t.gemeente,
        t.categorie.as_deref()?,
        t.code.as_deref()?,
        t.ingangsdatum,
    )
}

/// The allocation rows of one client: every current version that is not deleted.
pub fn toewijzing_rows(
    scope: &str,
    client: &str,
    state: &ClientState,
    contracts: &ContractContext,
) -> Vec<ToewijzingKosten> {
    let mut out = Vec::new();
    for t in state.actuele_versies() {
        if t.is_deleted() {
            continue;
        }
        let contract = contract_of(t, contracts);
        let end = match (t.einddatum, zorg_beeindigd(state, t.nummer)) {
            (Some(e), Some(z)) => Some(e.min(z)),
            (e, z) => e.or(z),
        };
        let realised = state
            .prestaties
            .iter()
            .filter(|p| p.toewijzing_nummer == t.nummer && p.is_goedgekeurd())
            .map(|p| p.bedrag)
            .sum();
        let mut row = ToewijzingKosten {
            key: format!("{scope}|T|{}", t.nummer),
            scope: scope.to_string(),
            standard: t.standard,
            gemeente: t.gemeente.clone(),
            agb: t.agb.clone(),
            client: client.to_string(),
            toewijzing_nummer: t.nummer,
            categorie: t.categorie.clone(),
            productcode: t.code.clone(),
            segment: contract.map(|c| c.segment.clone()).or_else(|| {
                // an aspecific allocation: the segment of any contract in its category
                contracts
                    .set
                    .contracts
                    .iter()
                    .find(|c| Some(c.categorie.as_str()) == t.categorie.as_deref())
                    .map(|c| c.segment.clone())
            }),
            ingangsdatum: t.ingangsdatum,
            einddatum: t.einddatum,
            commitment_end: end,
            volume: t.volume,
            eenheid: t.eenheid.clone(),
            frequentie: t.frequentie.clone(),
            budget: t.budget,
            tarief: contract.map(|c| c.tarief),
            tarief_eenheid: contract.map(|c| c.eenheid.clone()),
            basis: if t.budget.is_some() {
                "budget"
            } else if t.volume.is_some() {
                "omvang"
            } else {
                "geen"
            }
            .to_string(),
            commitment_cents: None,
            realised_cents: realised,
            traject: super::traject::of(state, t, end),
        };
        row.commitment_cents = commitment_total(&row);
        out.push(row);
    }
    out
}

/// Units of the Omvang in [a, b] (inclusive) under frequency `freq`; `whole` is the whole
/// validity, for spreading a total (frequency 6) pro rata.
pub(super) fn units_in(
    volume: i64,
    freq: &str,
    a: NaiveDate,
    b: NaiveDate,
    whole: Option<(NaiveDate, NaiveDate)>,
) -> Option<i64> {
    let days = (b - a).num_days() + 1;
    match freq {
        "1" => Some(volume * days),
        // ISO weeks touched, a broken week counting whole (§5.4, TR322)
        "2" => Some(volume * iso_weken(a, b)),
        "4" => {
            let months = |d: NaiveDate| i64::from(d.year()) * 12 + i64::from(d.month0());
            Some(volume * (months(b) - months(a) + 1))
        }
        "6" => match whole {
            Some((i, e)) => {
                let total = (e - i).num_days() + 1;
                Some(div_half_up(volume * days, total))
            }
            None => Some(volume),
        },
        _ => None,
    }
}

/// The commitment of an allocation over its whole commitment period, or None.
pub fn commitment_total(t: &ToewijzingKosten) -> Option<i64> {
    if let Some(budget) = t.budget {
        return Some(budget);
    }
    let (v, freq, eenheid) = (t.volume?, t.frequentie.as_deref()?, t.eenheid.as_deref()?);
    let end = if freq == "6" {
        t.commitment_end.unwrap_or(t.ingangsdatum)
    } else {
        t.commitment_end?
    };
    let units = if freq == "6" {
        // a total is committed in full, also when care ended early (it may all be used)
        v
    } else {
        units_in(v, freq, t.ingangsdatum, end, None)?
    };
    price_row(units, eenheid, t)
}

fn price_row(units: i64, eenheid: &str, t: &ToewijzingKosten) -> Option<i64> {
    if eenheid == "83" {
        return Some(units);
    }
    let c = Contract {
        agb: t.agb.clone(),
        gemeente: None,
        categorie: String::new(),
        productcode: String::new(),
        eenheid: t.tarief_eenheid.clone()?,
        tarief: t.tarief?,
        geldig_van: t.ingangsdatum,
        geldig_tot: None,
        segment: String::new(),
        budgetplafond: None,
    };
    price(units, eenheid, &c)
}

/// The part of an allocation's commitment that falls in calendar year `year`: the allocation's
/// commitment period cut to the year. A budget and a total (frequency 6) are spread over the
/// period pro rata by days (a total without an end counts in the year it starts); per day,
/// per month and per week are counted within the year (a week belongs to the year its
/// Thursday is in, so no week counts twice). None when the allocation has no price.
pub fn commitment_in_year(t: &ToewijzingKosten, year: i32) -> Option<i64> {
    let jan1 = NaiveDate::from_ymd_opt(year, 1, 1)?;
    let dec31 = NaiveDate::from_ymd_opt(year, 12, 31)?;
    let start = t.ingangsdatum;
    let end = t.commitment_end;
    if start > dec31 || end.is_some_and(|e| e < jan1) {
        return if t.budget.is_some() {
            Some(0)
        } else {
            price_row(0, t.eenheid.as_deref()?, t)
        };
    }
    let a = start.max(jan1);
    let b = end.map_or(dec31, |e| e.min(dec31));
    if let Some(budget) = t.budget {
        let e = end?;
        let total = (e - start).num_days() + 1;
        let days = (b - a).num_days() + 1;
        return Some(div_half_up(budget * days, total));
    }
    let (v, freq, eenheid) = (t.volume?, t.frequentie.as_deref()?, t.eenheid.as_deref()?);
    let units = match freq {
        "6" => match end {
            Some(e) => units_in(v, "6", a, b, Some((start, e)))?,
            None => {
                if start.year() == year {
                    v
                } else {
                    0
                }
            }
        },
        "2" => v * weeks_of_year_in(a, b, year),
        f => units_in(v, f, a, b, None)?,
    };
    price_row(units, eenheid, t)
}

/// ISO weeks touching [a, b] (a slice within `year`) that belong to ISO week-year `year`.
fn weeks_of_year_in(a: NaiveDate, b: NaiveDate, year: i32) -> i64 {
    let mut n = iso_weken(a, b);
    if a.iso_week().year() != year {
        n -= 1;
    }
    if b.iso_week().year() != year && a.iso_week() != b.iso_week() {
        n -= 1;
    }
    n.max(0)
}

/// The client's cost rows.
pub fn client_rows(
    scope: &str,
    client: &str,
    state: &ClientState,
    contracts: &ContractContext,
) -> (Vec<PrestatieKosten>, Vec<ToewijzingKosten>) {
    (
        prestatie_rows(scope, client, state, contracts),
        toewijzing_rows(scope, client, state, contracts),
    )
}

/// The scope prefix of a client, shared with the timeliness rows.
pub fn client_scope(standard: Standard, gemeente: &str, agb: &str, client: &str) -> String {
    format!("client|{}|{gemeente}|{agb}|{client}", std_code(standard))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn row() -> ToewijzingKosten {
        ToewijzingKosten {
            key: "k".into(),
            scope: "s".into(),
            standard: Standard::Ijw,
            gemeente: "0513".into(),
            agb: "98076541".into(),
            client: "c".into(),
            toewijzing_nummer: 17,
            categorie: Some("45".into()),
            productcode: Some("45A03".into()),
            segment: None,
            ingangsdatum: d(2026, 7, 1),
            einddatum: Some(d(2026, 12, 31)),
            commitment_end: Some(d(2026, 12, 31)),
            volume: Some(3),
            eenheid: Some("04".into()),
            frequentie: Some("2".into()),
            budget: None,
            tarief: Some(9385),
            tarief_eenheid: Some("04".into()),
            basis: "omvang".into(),
            commitment_cents: None,
            realised_cents: 0,
            traject: Default::default(),
        }
    }

    #[test]
    fn weekly_volume_over_the_validity() {
        // 2026-07-01..2026-12-31 touches ISO weeks 27..53: 27 weeks × 3 h × €93.85
        assert_eq!(commitment_total(&row()), Some(27 * 3 * 9385));
        assert_eq!(commitment_in_year(&row(), 2026), Some(27 * 3 * 9385));
        assert_eq!(commitment_in_year(&row(), 2027), Some(0));
    }

    #[test]
    fn weeks_across_new_year_count_once() {
        let mut r = row();
        r.ingangsdatum = d(2026, 12, 1);
        r.einddatum = Some(d(2027, 1, 31));
        r.commitment_end = r.einddatum;
        // ISO weeks 49..53 of 2026 (Thursday 31 Dec 2026 is in week 53) and 1..4 of 2027
        // (week 53 runs to Sunday 3 January 2027)
        let total = iso_weken(d(2026, 12, 1), d(2027, 1, 31));
        assert_eq!(total, 9);
        let y26 = commitment_in_year(&r, 2026).unwrap();
        let y27 = commitment_in_year(&r, 2027).unwrap();
        assert_eq!((y26, y27), (5 * 3 * 9385, 4 * 3 * 9385));
        assert_eq!(y26 + y27, commitment_total(&r).unwrap());
    }

    #[test]
    fn budget_and_totals_spread_by_days() {
        let mut r = row();
        r.volume = None;
        r.eenheid = None;
        r.frequentie = None;
        r.budget = Some(365_000);
        r.ingangsdatum = d(2026, 7, 1);
        r.einddatum = Some(d(2027, 6, 30));
        r.commitment_end = r.einddatum;
        assert_eq!(commitment_total(&r), Some(365_000));
        // 184 days in 2026 of 365
        assert_eq!(commitment_in_year(&r, 2026), Some(184_000));
        assert_eq!(commitment_in_year(&r, 2027), Some(181_000));
        let mut tot = row();
        tot.frequentie = Some("6".into());
        tot.volume = Some(40);
        tot.einddatum = Some(d(2027, 6, 30));
        tot.commitment_end = tot.einddatum;
        assert_eq!(commitment_total(&tot), Some(40 * 9385));
        assert_eq!(
            commitment_in_year(&tot, 2026),
            Some(div_half_up(40 * 184, 365) * 9385)
        );
    }

    #[test]
    fn per_month_minutes_and_open_ended() {
        let mut m = row();
        m.frequentie = Some("4".into());
        m.volume = Some(10);
        m.einddatum = None;
        m.commitment_end = None;
        assert_eq!(commitment_total(&m), None, "open-ended: no total");
        assert_eq!(commitment_in_year(&m, 2026), Some(6 * 10 * 9385));
        assert_eq!(commitment_in_year(&m, 2027), Some(12 * 10 * 9385));
        // allocated in minutes, priced per hour: rounded once
        m.eenheid = Some("01".into());
        m.volume = Some(95);
        assert_eq!(
            commitment_in_year(&m, 2026),
            Some(div_half_up(6 * 95 * 9385, 60))
        );
        // no contract: no price
        m.tarief = None;
        assert_eq!(commitment_in_year(&m, 2026), None);
    }

    #[test]
    fn credits_net_against_the_debit_they_reverse() {
        use crate::rules::cross::testutil::{client_met_prestaties, prestatie};
        use crate::state::PrestatieStatus;
        // August: D1 approved, credited by C1; D2 replaces it; C2 (a second credit of D1) was
        // rejected (TR390); D3 rejected outright
        let mut c2 = prestatie("C2", Some("D1"), 17, -93850);
        c2.status = PrestatieStatus::Afgewezen;
        c2.retour_codes = vec!["9390".into()];
        let mut d3 = prestatie("D3", None, 17, 50000);
        d3.status = PrestatieStatus::Afgewezen;
        d3.retour_codes = vec!["0611".into(), "9346".into()];
        let cs = client_met_prestaties(vec![
            prestatie("D1", None, 17, 93850),
            prestatie("C1", Some("D1"), 17, -93850),
            prestatie("D2", None, 17, 112620),
            c2,
            d3,
        ]);
        let rows = prestatie_rows("s", "p", &cs, &ContractContext::default());
        let by = |r: &str| rows.iter().find(|x| x.referentie_nummer == r).unwrap();
        let brief = |r: &str| {
            let x = by(r);
            (
                x.declared_cents,
                x.approved_cents,
                x.rejected_cents,
                x.net_cents,
                x.credited,
            )
        };
        assert_eq!(brief("D1"), (93850, 93850, 0, 0, true));
        assert_eq!(brief("C1"), (-93850, -93850, 0, 0, false));
        assert_eq!(brief("D2"), (112620, 112620, 0, 112620, false));
        assert_eq!(brief("C2"), (-93850, 0, -93850, 0, false));
        assert_eq!(brief("D3"), (50000, 0, 50000, 0, false));
        assert_eq!(by("D3").retour_codes, "0611 9346");
        assert_eq!(
            (
                by("C1").debet_credit.as_str(),
                by("D1").debet_credit.as_str()
            ),
            ("C", "D")
        );
        assert_eq!(
            by("C1").period_month,
            d(2026, 8, 1),
            "a credit nets in its debit's month"
        );
        // netting per line and per total agree: the realisation is the replacement only
        let net: i64 = rows.iter().map(|x| x.net_cents).sum();
        let approved: i64 = rows.iter().map(|x| x.approved_cents).sum();
        assert_eq!((net, approved), (112620, 112620));
        // the allocation's realised amount nets too
        let mut with_alloc = cs.clone();
        with_alloc
            .toewijzingen
            .push(crate::rules::cross::testutil::toewijzing(17));
        let allocs = toewijzing_rows("s", "p", &with_alloc, &ContractContext::default());
        assert_eq!(allocs[0].realised_cents, 112620);
        assert_eq!(allocs[0].commitment_cents, None, "no contract: no price");
    }

    #[test]
    fn a_definitive_stop_ends_the_commitment() {
        use crate::rules::cross::testutil::{client_met, start, stop, toewijzing};
        let set = crate::contracts::ContractSet::from_csv(
            "agb,gemeente,categorie,productcode,eenheid,tarief,geldig_van,geldig_tot,segment,budgetplafond\n\
             98076541,*,45,45A03,04,9385,2026-01-01,,jeugd,\n",
        )
        .unwrap();
        let contracts = ContractContext::of(set);
        let running = client_met(vec![toewijzing(17)], vec![start(17, d(2026, 7, 6))]);
        let r = &toewijzing_rows("s", "p", &running, &contracts)[0];
        assert_eq!(r.commitment_end, Some(d(2026, 12, 31)));
        assert_eq!(r.commitment_cents, Some(27 * 3 * 9385));
        assert_eq!(r.segment.as_deref(), Some("jeugd"));
        // stopped for good on Friday 4 September: weeks 27..36 (1 July is in week 27)
        let stopped = client_met(
            vec![toewijzing(17)],
            vec![
                start(17, d(2026, 7, 6)),
                stop(17, d(2026, 7, 6), "34", d(2026, 9, 4)),
            ],
        );
        let r = &toewijzing_rows("s", "p", &stopped, &contracts)[0];
        assert_eq!(r.commitment_end, Some(d(2026, 9, 4)));
        assert_eq!(r.commitment_cents, Some(10 * 3 * 9385));
        // only temporarily stopped: the allocation still commits its whole validity
        let paused = client_met(
            vec![toewijzing(17)],
            vec![
                start(17, d(2026, 7, 6)),
                stop(17, d(2026, 7, 6), "20", d(2026, 9, 4)),
            ],
        );
        let r = &toewijzing_rows("s", "p", &paused, &contracts)[0];
        assert_eq!(r.commitment_end, Some(d(2026, 12, 31)));
    }

    #[test]
    fn rounding_is_half_up_both_ways() {
        assert_eq!(div_half_up(3, 2), 2);
        assert_eq!(div_half_up(5, 4), 1);
        assert_eq!(div_half_up(-3, 2), -2);
        assert_eq!(div_half_up(9385 * 95, 60), 14860);
    }
}
