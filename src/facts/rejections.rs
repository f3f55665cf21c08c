//! Declaration quality (issue 11, item 4): how much of what providers declare the
//! municipalities reject, why (the 325's retour codes), and whether a rejected line came back
//! approved, after how many working days.
//!
//! Decisions on points the issue leaves open:
//! - only **debit** prestaties count (declared care); a credit corrects an earlier line and is
//!   not a declaration of care, so it is neither in the numerator nor in the denominator;
//! - by retour code, a line with two codes counts under both, and the share is of **all**
//!   debit lines (and amounts) the filter keeps, since an approved line has no code;
//! - a **resubmission** of a rejected debit is the earliest approved debit received after it
//!   for the same provider, client (pseudonym), allocation (ToewijzingNummer), product code and
//!   month of care. The standard gives no link: VorigReferentieNummer points from a credit to
//!   the debit it reverses, and a resubmitted debit carries a new ReferentieNummer, so the
//!   allocation and period are the only key the facts have. Working days are counted from the
//!   rejected line's receipt to the approved line's receipt (the receipt day not counted), on
//!   the national calendar (the region's extra closed days are not in the facts);
//! - `betaler` selects the lines of the allocating municipality (as for obligations): a
//!   rejected line is not split over the payers of a regional budget.

use super::stats::{euros, line_groups, pct_tenths, percentile, GroupBy};
use super::PrestatieKosten;
use crate::protocol::calendar::Calendar;
use crate::report::{Cell, Table};
use std::collections::BTreeMap;

/// A rejected debit and, when it came back approved, the working days that took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Afwijzing<'a> {
    pub line: &'a PrestatieKosten,
    /// Working days from the rejection's receipt to the approved resubmission's receipt.
    pub resubmitted_after: Option<u32>,
}

fn is_debit(p: &PrestatieKosten) -> bool {
    p.debet_credit == "D"
}

fn is_rejected(p: &PrestatieKosten) -> bool {
    p.status != "goedgekeurd"
}

/// The approved resubmission of `rejected` among `lines` (see the module doc), if any.
pub fn resubmission<'a>(
    rejected: &PrestatieKosten,
    lines: &[&'a PrestatieKosten],
) -> Option<&'a PrestatieKosten> {
    lines
        .iter()
        .copied()
        .filter(|a| {
            is_debit(a)
                && !is_rejected(a)
                && a.received_at > rejected.received_at
                && a.agb == rejected.agb
                && a.client == rejected.client
                && a.toewijzing_nummer == rejected.toewijzing_nummer
                && a.productcode == rejected.productcode
                && a.period_month == rejected.period_month
        })
        .min_by_key(|a| (a.received_at, a.key.as_str()))
}

/// Every rejected debit of `lines` with its resubmission delay.
pub fn afwijzingen<'a>(lines: &[&'a PrestatieKosten], calendar: &Calendar) -> Vec<Afwijzing<'a>> {
    lines
        .iter()
        .copied()
        .filter(|p| is_debit(p) && is_rejected(p))
        .map(|line| Afwijzing {
            line,
            resubmitted_after: resubmission(line, lines)
                .map(|a| calendar.working_days_between(line.received_on, a.received_on)),
        })
        .collect()
}

/// Per group (provider, municipality, product, month of care or retour code):
/// - `declared_lines`, `declared`: debit lines and their amount (euros);
/// - `rejected_lines`, `rejected`: of those, the rejected ones;
/// - `rejected_lines_pct`, `rejected_pct`: rejected ÷ declared, in percent to one decimal
///   (by retour code, of everything declared in the filter);
/// - `resubmitted`: rejected lines that came back approved; `median_wd_to_approval`: the
///   median (nearest rank, lower middle) of their working days.
pub fn rejections_of<'a>(
    lines: impl IntoIterator<Item = &'a PrestatieKosten>,
    by: GroupBy,
    calendar: &Calendar,
) -> Table {
    #[derive(Default)]
    struct Acc {
        declared_lines: i64,
        declared: i64,
        rejected_lines: i64,
        rejected: i64,
        days: Vec<i64>,
    }
    let lines: Vec<&PrestatieKosten> = lines.into_iter().filter(|p| is_debit(p)).collect();
    let mut groups: BTreeMap<String, Acc> = BTreeMap::new();
    let mut total = Acc::default();
    for p in &lines {
        total.declared_lines += 1;
        total.declared += p.declared_cents;
        if by != GroupBy::RetourCode {
            for g in line_groups(p, by) {
                let a = groups.entry(g).or_default();
                a.declared_lines += 1;
                a.declared += p.declared_cents;
            }
        }
    }
    for r in afwijzingen(&lines, calendar) {
        for g in line_groups(r.line, by) {
            let a = groups.entry(g).or_default();
            a.rejected_lines += 1;
            a.rejected += r.line.rejected_cents;
            a.days.extend(r.resubmitted_after.map(i64::from));
        }
    }
    let mut t = Table::new(vec![
        by.name(),
        "declared_lines",
        "rejected_lines",
        "rejected_lines_pct",
        "declared",
        "rejected",
        "rejected_pct",
        "resubmitted",
        "median_wd_to_approval",
    ]);
    let pct = |part, whole| Cell::from(pct_tenths(part, whole).map(|v| Cell::Decimal(v, 1)));
    for (g, mut a) in groups {
        if by == GroupBy::RetourCode {
            a.declared_lines = total.declared_lines;
            a.declared = total.declared;
        }
        a.days.sort_unstable();
        t.push(vec![
            g.into(),
            a.declared_lines.into(),
            a.rejected_lines.into(),
            pct(a.rejected_lines, a.declared_lines),
            euros(a.declared),
            euros(a.rejected),
            pct(a.rejected, a.declared),
            (a.days.len() as i64).into(),
            percentile(&a.days, 50).into(),
        ]);
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::kind::Standard;
    use chrono::{NaiveDate, TimeZone, Utc};

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// A debit of 100.00 on allocation `nr` for September 2026, received on `on` (noon UTC).
    fn line(key: &str, agb: &str, nr: i64, on: &str, codes: &str) -> PrestatieKosten {
        let day = d(on);
        let rejected = !codes.is_empty();
        PrestatieKosten {
            key: key.into(),
            scope: "s".into(),
            standard: Standard::Ijw,
            gemeente: "0513".into(),
            agb: agb.into(),
            client: "pseudo-1".into(),
            declaratie_nummer: key.into(),
            referentie_nummer: key.into(),
            vorig_referentie_nummer: None,
            toewijzing_nummer: nr,
            categorie: "45".into(),
            productcode: "45A03".into(),
            segment: None,
            period_month: d("2026-09-01"),
            debet_credit: "D".into(),
            volume: 1,
            eenheid: "04".into(),
            tarief: Some(10000),
            declared_cents: 10000,
            approved_cents: if rejected { 0 } else { 10000 },
            rejected_cents: if rejected { 10000 } else { 0 },
            net_cents: if rejected { 0 } else { 10000 },
            credited: false,
            status: if rejected { "afgewezen" } else { "goedgekeurd" }.into(),
            retour_codes: codes.into(),
            received_at: Utc.from_utc_datetime(&day.and_hms_opt(12, 0, 0).unwrap()),
            received_on: day,
        }
    }

    #[test]
    fn a_rejected_line_resubmitted_counts_working_days_to_approval() {
        // rejected Thursday 1 Oct, approved Tuesday 6 Oct: Fri, Mon, Tue = 3 working days;
        // the approved line of another allocation is no resubmission of the second rejection
        let rows = [
            line("r1", "A", 1, "2026-10-01", "0611"),
            line("a1", "A", 1, "2026-10-06", ""),
            line("r2", "A", 2, "2026-10-01", "9321 0611"),
            line("a3", "A", 3, "2026-10-02", ""),
            line("old", "A", 1, "2026-09-30", ""),
        ];
        let refs: Vec<&PrestatieKosten> = rows.iter().collect();
        let a = afwijzingen(&refs, &Calendar::national());
        let got: Vec<(&str, Option<u32>)> = a
            .iter()
            .map(|r| (r.line.key.as_str(), r.resubmitted_after))
            .collect();
        assert_eq!(got, vec![("r1", Some(3)), ("r2", None)]);

        let t = rejections_of(&rows, GroupBy::Provider, &Calendar::national()).to_csv();
        assert_eq!(
            t,
            "provider,declared_lines,rejected_lines,rejected_lines_pct,declared,rejected,rejected_pct,resubmitted,median_wd_to_approval\n\
             A,5,2,40.0,500.00,200.00,40.0,1,3\n"
        );
        let t = rejections_of(&rows, GroupBy::RetourCode, &Calendar::national()).to_csv();
        assert_eq!(
            t,
            "retour_code,declared_lines,rejected_lines,rejected_lines_pct,declared,rejected,rejected_pct,resubmitted,median_wd_to_approval\n\
             0611,5,2,40.0,500.00,200.00,40.0,1,3\n\
             9321,5,1,20.0,500.00,100.00,20.0,0,\n"
        );
    }
}
