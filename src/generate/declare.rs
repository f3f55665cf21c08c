//! Monthly declarations (323): one per provider, per gemeente, per legal domain and month,
//! with one line per allocation and product period (clipped to the allocation, TR387/TR388),
//! volume as delivered within what the allocation allows (TR321/TR322/TR369), amount = volume ×
//! contract tariff (TR346/TR418) — except where the provider's habits inject a wrong tariff or
//! an overrun — plus credits of approved lines and their corrected debits a month later.

use super::messages::{domain_letter, Body, Declaratie, Prestatie, Spec};
use super::plan::{
    add_months, end_of_month, Allocation, Debit, DebitKind, PendingCorrection, Version,
};
use super::summary::{Correction, Overrun, TariffError, DECLARATION_DEADLINE};
use super::world::GEMEENTEN;
use super::{Chain, ChainKey, Gen, Moment, Note};
use crate::message::kind::{MessageKind, Standard};
use chrono::{Datelike, Duration, NaiveDate};
use rand::Rng;

/// Days of delivery of `a` within [from, to].
fn care_days(a: &Allocation, from: NaiveDate, to: NaiveDate) -> i64 {
    a.care
        .iter()
        .map(|(b, e)| ((*e).min(to) - (*b).max(from)).num_days() + 1)
        .filter(|d| *d > 0)
        .sum()
}

fn monday(d: NaiveDate) -> NaiveDate {
    d - Duration::days(i64::from(d.weekday().num_days_from_monday()))
}

fn month_of(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

/// The months of care of `a` from the window's start up to and including `upto` that have no
/// line yet: normally only `upto` itself, but care before the allocation reached the provider
/// (a retroactive crisis allocation) is declared in a later declaration (IV090).
fn owed_months(a: &Allocation, from: NaiveDate, upto: NaiveDate) -> Vec<NaiveDate> {
    let Some(first_care) = a.care.iter().map(|c| c.0).min() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut m = month_of(first_care.max(from));
    while m <= upto {
        let has_line = a.debits.iter().any(|x| month_of(x.begin) == m);
        if !has_line && care_days(a, m, end_of_month(m)) > 0 {
            out.push(m);
        }
        m = add_months(m, 1);
    }
    out
}

/// ISO weeks touched by [a, b] (IV077: a broken week counts whole).
pub(super) fn iso_weeks(a: NaiveDate, b: NaiveDate) -> i64 {
    (monday(b) - monday(a)).num_days() / 7 + 1
}

fn months_touched(a: NaiveDate, b: NaiveDate) -> i64 {
    let n = |d: NaiveDate| i64::from(d.year()) * 12 + i64::from(d.month0());
    n(b) - n(a) + 1
}

/// The most one line for [pb, pe] may hold (TR321; a budget has only a total).
pub(super) fn period_cap(a: &Allocation, pb: NaiveDate, pe: NaiveDate) -> i64 {
    let Some(o) = a.omvang else {
        return i64::MAX;
    };
    match o.frequentie {
        "1" => o.volume * ((pe - pb).num_days() + 1),
        "2" => o.volume * iso_weeks(pb, pe),
        _ => o.volume,
    }
}

/// The most the allocation (in version `v`) allows in total (TR322, TR369); None when open.
pub(super) fn total_cap(a: &Allocation, v: &Version) -> Option<i64> {
    let Some(o) = a.omvang else {
        return a.budget;
    };
    if o.frequentie == "6" {
        return Some(o.volume);
    }
    let e = v.einddatum?;
    let i = v.ingangsdatum;
    Some(match o.frequentie {
        "1" => o.volume * ((e - i).num_days() + 1),
        "2" => o.volume * iso_weeks(i, e),
        _ => o.volume * months_touched(i, e),
    })
}

impl Gen {
    pub(super) fn declare_month(&mut self, first: NaiveDate) {
        self.declare_all(first, true);
    }

    /// After the window: a declaration for the month after it carrying only the lines of the
    /// window's last month that were rejected and are sent again (a declaration may hold
    /// corrections only, OP284), so no month of care in the window stays undeclared.
    pub(super) fn declare_tail(&mut self) {
        self.declare_all(self.w1, false);
    }

    fn declare_all(&mut self, first: NaiveDate, care: bool) {
        let last = end_of_month(first);
        let keys: Vec<ChainKey> = self.chains.keys().copied().collect();
        for key in keys {
            let Some(mut chain) = self.chains.remove(&key) else {
                continue;
            };
            self.declare_chain(key, &mut chain, first, last, care);
            chain
                .episodes
                .retain(|e| e.has_pending() || e.last_care().is_some_and(|d| d > last));
            self.chains.insert(key, chain);
        }
    }

    fn prestatie_ref(&mut self, prov: usize, domain: Standard) -> String {
        self.prestatie_seq[prov] += 1;
        format!("{}{:09}", domain_letter(domain), self.prestatie_seq[prov])
    }

    /// The declaration term of a month of care: the last day of the next month, also on a
    /// weekend day or holiday (REGIO-DECL; the service's default, an agreed term that the
    /// Algemene termijnenwet does not move).
    fn declaration_due(&mut self, month: NaiveDate) -> NaiveDate {
        end_of_month(add_months(month, 1))
    }

    fn declare_chain(
        &mut self,
        key: ChainKey,
        chain: &mut Chain,
        first: NaiveDate,
        last: NaiveDate,
        care: bool,
    ) {
        let (prov, g, domain) = key;
        let w0 = self.w0;
        let active = |a: &Allocation| {
            a.pending.is_some() || !a.resubmit.is_empty() || !owed_months(a, w0, first).is_empty()
        };
        if !chain
            .episodes
            .iter()
            .any(|e| e.allocations.iter().any(active))
        {
            return;
        }
        // when it arrives: early in the next month, or late as the provider's habits say
        let next = add_months(first, 1);
        let due = self.declaration_due(first);
        let profile = self.world.providers[prov].profile.clone();
        let date = if care && self.rng.random_bool(profile.late_declaration) {
            let u: f64 = self.rng.random_range(f64::EPSILON..1.0);
            let n = 1
                + ((-u.ln()) * (profile.mean_days_late - 1.0))
                    .floor()
                    .min(60.0) as u32;
            self.clock.add_wd(due, n)
        } else {
            let first_wd = self.clock.on_or_after(next);
            let k = self
                .rng
                .random_range(0..=12)
                .min(self.rng.random_range(0..=12));
            self.clock.add_wd(first_wd, k)
        };
        let mut at = self.clock.at(date, &mut self.rng);
        // after this chain's previous declaration (TR318) and every allocation's first 301
        let mut floor = chain.last_receipt;
        for a in chain
            .episodes
            .iter()
            .flat_map(|e| e.allocations.iter())
            .filter(|a| active(a))
        {
            floor = floor.max(Some(a.versions[0].moment));
        }
        if let Some(f) = floor {
            at = self.clock.not_before(at, f, &mut self.rng);
        }
        let nummer = format!(
            "{:02}{:02}{}{}1",
            first.year() % 100,
            first.month(),
            GEMEENTEN[g].code,
            domain_letter(domain)
        );
        let mut notes = Vec::new();
        let mut clienten = Vec::new();
        for e in chain.episodes.iter_mut() {
            let mut lines = Vec::new();
            for a in e.allocations.iter_mut() {
                let mut d = Declaring {
                    key,
                    nummer: &nummer,
                    first,
                    at,
                    care,
                    out: &mut lines,
                    notes: &mut notes,
                };
                self.declare_allocation(&mut d, a);
            }
            if !lines.is_empty() {
                clienten.push((e.client.clone(), lines));
            }
        }
        if clienten.is_empty() {
            return;
        }
        chain.last_receipt = Some(at);
        let agb = self.world.providers[prov].agb.clone();
        let kind = MessageKind::new(domain, 323);
        let ident = self.ident(&agb, kind);
        let spec = Spec {
            kind,
            sender: agb,
            receiver: GEMEENTEN[g].code.to_string(),
            ident,
            dagtekening: at.date(),
            body: Body::Declaratie(Box::new(Declaratie {
                nummer,
                periode: (first, last),
                clienten,
            })),
        };
        self.push(at, spec, notes, prov);
    }

    /// The lines of one allocation in one declaration: rejected lines sent again, last month's
    /// corrected debit, perhaps a credit, and this month's debit.
    fn declare_allocation(&mut self, d: &mut Declaring<'_>, a: &mut Allocation) {
        let (prov, g, _) = d.key;
        let Some(vi) = a.version_at(d.at) else {
            return;
        };
        let v = a.versions[vi].clone();
        let agb = self.world.providers[prov].agb.clone();
        let gcode = GEMEENTEN[g].code;
        let profile = self.world.providers[prov].profile.clone();
        let remaining =
            |a: &Allocation| total_cap(a, &v).map_or(i64::MAX, |t| t - a.committed - a.prior_use);

        // rejected lines, corrected (clipped to the allocation as it stands now)
        for r in std::mem::take(&mut a.resubmit) {
            let month = r.begin.with_day(1).unwrap_or(r.begin);
            let pb = month.max(v.ingangsdatum);
            let pe = v
                .einddatum
                .map_or(end_of_month(month), |e| e.min(end_of_month(month)));
            let volume = r.volume.min(period_cap(a, pb, pe)).min(remaining(a));
            if pb <= pe && volume > 0 {
                let tarief = self.contract_tarief(prov, a, pb);
                let p = self.debit(d, a, vi, pb, pe, volume, tarief, DebitKind::Normal);
                d.notes.push(Note::Followup(r.id, p.referentie.clone()));
                d.out.push(p);
            }
        }
        // the corrected debit for a line credited last month (OP366, IV086)
        let had_pending = a.pending.is_some();
        if let Some(pc) = a.pending.take() {
            if pc.version == vi {
                let volume = pc
                    .volume
                    .min(period_cap(a, pc.begin, pc.end))
                    .min(remaining(a));
                if volume > 0 {
                    let tarief = self.contract_tarief(prov, a, pc.begin);
                    let p = self.debit(
                        d,
                        a,
                        vi,
                        pc.begin,
                        pc.end,
                        volume,
                        tarief,
                        DebitKind::Normal,
                    );
                    d.notes.push(Note::Followup(pc.id, p.referentie.clone()));
                    d.out.push(p);
                }
            }
        }
        // a credit of an approved line of an earlier month, corrected next month
        let room = add_months(d.first, 1) < self.w1;
        if d.care && !had_pending && room && self.rng.random_bool(profile.correction) {
            let candidate = a.debits.iter().rposition(|x| {
                x.kind == DebitKind::Normal && !x.credited && x.month < d.first && x.version == vi
            });
            if let Some(i) = candidate {
                let x: Debit = a.debits[i].clone();
                let referentie = self.prestatie_ref(prov, d.key.2);
                d.out.push(Prestatie {
                    referentie: referentie.clone(),
                    vorig: Some(x.referentie.clone()),
                    nummer: a.nummer,
                    categorie: a.product.categorie,
                    code: a.product.code,
                    begin: x.begin,
                    eind: x.end,
                    volume: x.volume,
                    eenheid: a.product.eenheid,
                    tarief: x.tarief,
                    bedrag: x.bedrag,
                    credit: true,
                });
                a.debits[i].credited = true;
                a.committed -= x.volume;
                let step = (x.volume / 20).max(1);
                let volume = if x.volume > step && self.rng.random_bool(0.7) {
                    x.volume - self.rng.random_range(1..=step)
                } else {
                    x.volume + step
                };
                let id = self.next_link();
                a.pending = Some(PendingCorrection {
                    id,
                    begin: x.begin,
                    end: x.end,
                    volume,
                    version: vi,
                });
                d.notes.push(Note::CorrectionCredit(
                    id,
                    Box::new(Correction {
                        provider: agb.clone(),
                        gemeente: gcode.to_string(),
                        toewijzing_nummer: a.nummer,
                        original_referentie_nummer: x.referentie,
                        credit_file: String::new(),
                        credit_declaratie_nummer: d.nummer.to_string(),
                        credit_referentie_nummer: referentie,
                        corrected_file: None,
                        corrected_referentie_nummer: None,
                    }),
                ));
            }
        }

        // this month's care, and earlier months of care without a line yet
        for month in owed_months(a, self.w0, d.first) {
            let current = month == d.first;
            self.month_line(d, a, &v, vi, month, current);
        }
    }

    /// The debit for one month of care; on the declaration period itself the provider's habits
    /// may inject a wrong tariff or an overrun.
    #[allow(clippy::too_many_lines)]
    fn month_line(
        &mut self,
        d: &mut Declaring<'_>,
        a: &mut Allocation,
        v: &Version,
        vi: usize,
        month: NaiveDate,
        inject: bool,
    ) {
        let (prov, g, _) = d.key;
        let agb = self.world.providers[prov].agb.clone();
        let gcode = GEMEENTEN[g].code;
        let profile = self.world.providers[prov].profile.clone();
        let remaining =
            |a: &Allocation| total_cap(a, v).map_or(i64::MAX, |t| t - a.committed - a.prior_use);
        let month_end = end_of_month(month);
        let pb = month.max(v.ingangsdatum);
        let pe = v.einddatum.map_or(month_end, |e| e.min(month_end));
        if pb > pe {
            return;
        }
        let days = care_days(a, pb, pe);
        if days == 0 {
            return;
        }
        let euros = a.product.in_euros();
        // never more than allocated: every month of care gets a line (REGIO-DECL)
        let (lo, hi) = super::catalogue::MONTHLY_VARIATION;
        let noise = self.rng.random_range(lo..hi);
        let month_days = f64::from(month_end.day());
        let raw = match (a.omvang, a.budget) {
            (None, Some(b)) => {
                (b as f64 * days as f64 / a.planned_days as f64 * a.util * noise).floor()
            }
            (Some(o), _) => {
                let vol = o.volume as f64;
                match o.frequentie {
                    "1" => (vol * days as f64 * a.util).round(),
                    "2" if o.eenheid == "14" => (vol * days as f64 / 7.0 * a.util).round(),
                    "2" => (vol * days as f64 / 7.0 * a.util * noise).round(),
                    // a monthly tariff (JB/JR): a broken month pro rata
                    "4" if euros => (vol * (days as f64 / month_days).min(1.0)).round(),
                    "4" => (vol * (days as f64 / month_days).min(1.0) * a.util * noise).round(),
                    _ => (vol * days as f64 / a.planned_days as f64 * a.util * noise).floor(),
                }
            }
            (None, None) => 0.0,
        };
        let normal = (raw as i64)
            .max(1)
            .min(period_cap(a, pb, pe))
            .min(remaining(a));
        if normal <= 0 {
            return;
        }
        let mut volume = normal;
        let contract = self.contract_tarief(prov, a, pb);
        let mut tarief = contract;
        let mut overrun = None;
        let omvang = a.omvang.filter(|_| !euros);
        if let Some(o) = omvang.filter(|_| inject && self.rng.random_bool(profile.overrun)) {
            // more than allocated: exactly one of TR321 (this period) or TR322 (in total)
            if o.frequentie == "6" {
                // only in the last month of care: nothing is left for later months
                let last_care = a.care.iter().map(|c| c.1).max().unwrap_or(pe);
                let left = o.volume - a.committed;
                if last_care <= pe && a.committed >= 1 && left >= 1 {
                    let over = left + self.rng.random_range(1..=a.committed.min(3));
                    if over <= o.volume {
                        overrun = Some((left, "9322"));
                        volume = over;
                    }
                }
            } else {
                let cap = period_cap(a, pb, pe);
                let over = cap + self.rng.random_range(1..=(cap / 5).max(1));
                if total_cap(a, v).is_none_or(|t| a.committed + over <= t) {
                    overrun = Some((cap, "9321"));
                    volume = over;
                }
            }
        }
        let wrong_tariff = inject
            && overrun.is_none()
            && omvang.is_some()
            && self.rng.random_bool(profile.wrong_tariff);
        if wrong_tariff {
            let c = contract.unwrap_or(0);
            let previous = self.world.tariff(prov, &a.product, pb.year() - 1);
            let mut wrong = if pb.month() <= 3 && previous != c {
                // last year's tariff: the indexation was missed
                previous
            } else {
                let f: f64 = self.rng.random_range(0.015..0.05);
                let sign = if self.rng.random_bool(0.7) { 1.0 } else { -1.0 };
                (c as f64 * (1.0 + sign * f)).round() as i64
            };
            if wrong == c {
                wrong += 1;
            }
            tarief = Some(wrong);
        }
        let rejected = overrun.is_some() || wrong_tariff;
        let kind = if rejected {
            DebitKind::Rejected
        } else {
            DebitKind::Normal
        };
        let p = self.debit(d, a, vi, pb, pe, volume, tarief, kind);
        let link = if rejected {
            // sent again, corrected, in the next declaration
            let id = self.next_link();
            a.resubmit.push(PendingCorrection {
                id,
                begin: pb,
                end: pe,
                volume: normal,
                version: vi,
            });
            id
        } else {
            0
        };
        if let Some((allowed, code)) = overrun {
            d.notes.push(Note::Overrun(
                link,
                Box::new(Overrun {
                    file: String::new(),
                    provider: agb.clone(),
                    gemeente: gcode.to_string(),
                    declaratie_nummer: d.nummer.to_string(),
                    referentie_nummer: p.referentie.clone(),
                    toewijzing_nummer: a.nummer,
                    product_code: a.product.code.to_string(),
                    period_begin: pb.to_string(),
                    period_end: pe.to_string(),
                    volume,
                    allowed,
                    expected_code: code,
                    resubmitted_file: None,
                    resubmitted_referentie_nummer: None,
                }),
            ));
        }
        if wrong_tariff {
            d.notes.push(Note::Tariff(
                link,
                Box::new(TariffError {
                    file: String::new(),
                    provider: agb,
                    gemeente: gcode.to_string(),
                    declaratie_nummer: d.nummer.to_string(),
                    referentie_nummer: p.referentie.clone(),
                    toewijzing_nummer: a.nummer,
                    product_code: a.product.code.to_string(),
                    period_begin: pb.to_string(),
                    declared_tariff: tarief.unwrap_or(0),
                    contract_tariff: contract.unwrap_or(0),
                    expected_code: "0611",
                    resubmitted_file: None,
                    resubmitted_referentie_nummer: None,
                }),
            ));
        }
        d.out.push(p);
    }

    fn next_link(&mut self) -> u64 {
        self.correction_seq += 1;
        self.correction_seq
    }

    /// The contract tariff for a line starting on `begin`; None for euro products (CD087).
    fn contract_tarief(&self, prov: usize, a: &Allocation, begin: NaiveDate) -> Option<i64> {
        (!a.product.in_euros()).then(|| self.world.tariff(prov, &a.product, begin.year()))
    }

    /// A debit line. An approved one counts towards the allocation's volume, and the first
    /// approved one of a month meets that month's declaration obligation — late when the
    /// declaration arrives after the term.
    #[allow(clippy::too_many_arguments)]
    fn debit(
        &mut self,
        d: &mut Declaring<'_>,
        a: &mut Allocation,
        version: usize,
        begin: NaiveDate,
        end: NaiveDate,
        volume: i64,
        tarief: Option<i64>,
        kind: DebitKind,
    ) -> Prestatie {
        let referentie = self.prestatie_ref(d.key.0, d.key.2);
        let bedrag = tarief.map_or(volume, |t| volume * t);
        a.debits.push(Debit {
            referentie: referentie.clone(),
            begin,
            end,
            volume,
            tarief,
            bedrag,
            kind,
            credited: false,
            version,
            month: d.first,
        });
        if kind == DebitKind::Normal {
            a.committed += volume;
            let month = begin.with_day(1).unwrap_or(begin);
            if a.declared_months.insert(month) {
                let due = self.declaration_due(month);
                if d.at.date() > due {
                    d.notes.push(Note::Late {
                        rule: DECLARATION_DEADLINE,
                        toewijzing: Some(a.nummer),
                        declaratie: Some(d.nummer.to_string()),
                        period: Some(month.format("%Y-%m").to_string()),
                        reference: end_of_month(month),
                        due,
                        days: self.clock.wd_between(due, d.at.date()),
                    });
                }
            }
        }
        Prestatie {
            referentie,
            vorig: None,
            nummer: a.nummer,
            categorie: a.product.categorie,
            code: a.product.code,
            begin,
            eind: end,
            volume,
            eenheid: a.product.eenheid,
            tarief,
            bedrag,
            credit: false,
        }
    }
}

/// The declaration being assembled.
struct Declaring<'a> {
    key: ChainKey,
    nummer: &'a str,
    /// The declaration period's first day.
    first: NaiveDate,
    at: Moment,
    /// False for the tail declaration: no credits, only corrections and late lines.
    care: bool,
    out: &'a mut Vec<Prestatie>,
    notes: &'a mut Vec<Note>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Weekday;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn iso_weeks_follow_iv077() {
        // 07-10-2025 .. 30-12-2025: weeks 41..52 and week 1 of 2026
        assert_eq!(iso_weeks(d(2025, 10, 7), d(2025, 12, 30)), 13);
        // July 2025 from the 7th: 4 weeks; August 2025: 5 weeks
        assert_eq!(iso_weeks(d(2025, 7, 7), d(2025, 7, 31)), 4);
        assert_eq!(iso_weeks(d(2025, 8, 1), d(2025, 8, 31)), 5);
        assert_eq!(d(2025, 8, 31).weekday(), Weekday::Sun);
    }
}
