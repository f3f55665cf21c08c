//! Waiting time to care (issue 11, item 1): per allocation, the calendar days from the request
//! to the actual start of care, and from the allocation's Ingangsdatum to that start; and who
//! is waiting now. Read from the allocation facts' lifecycle columns ([`super::traject`]).
//!
//! Decisions on points the issue leaves open:
//! - the wait counts from the **receipt day** of the request (315/317) the allocation's first
//!   301 answers, or of that 301 where there was no request, to the first 305 Begindatum, in
//!   calendar days (received Monday, started Tuesday: 1 day). Receipt days are Dutch calendar
//!   days, as for every deadline;
//! - an allocation is **retroactive** when care started before its first 301 was received: it
//!   is counted in `retroactive` and left out of every median and p90 (its wait would be a
//!   negative number that says nothing about access to care);
//! - an allocation counts in the **month of its start** (the period filter selects on it);
//! - **waiting now** (as of a day): allocations whose first 301 was received by then, in force
//!   on that day (Ingangsdatum on or before it, no Einddatum before it, care not ended) and
//!   without any start. An allocation whose Ingangsdatum lies ahead is not waiting yet.

use super::stats::{percentile, GroupBy};
use super::traject::{date_cell, days, group_of};
use super::ToewijzingKosten;
use crate::protocol::deadlines::first_of_month;
use crate::report::{Cell, Table};
use chrono::NaiveDate;
use std::collections::BTreeMap;

/// The month an allocation counts in: that of its first start.
pub fn start_month(t: &ToewijzingKosten) -> Option<NaiveDate> {
    t.traject.first_start.map(first_of_month)
}

/// Per group (provider, municipality, category, product or month of start):
/// - `started`: allocations with a start; `retroactive`: of those, started before the 301;
/// - `counted` = started − retroactive: the waits below are over these;
/// - `median_days_from_request`, `p90_days_from_request`: request (or 301) to start;
/// - `median_days_from_ingang`, `p90_days_from_ingang`: Ingangsdatum to start.
///
/// Medians and p90 are nearest rank (the lower middle of an even count).
pub fn waiting_of<'a>(
    allocations: impl IntoIterator<Item = &'a ToewijzingKosten>,
    by: GroupBy,
) -> Table {
    #[derive(Default)]
    struct Acc {
        started: i64,
        retroactive: i64,
        from_request: Vec<i64>,
        from_ingang: Vec<i64>,
    }
    let mut groups: BTreeMap<String, Acc> = BTreeMap::new();
    for t in allocations {
        let (Some(start), Some(from), Some(month)) =
            (t.traject.first_start, t.traject.wait_from(), start_month(t))
        else {
            continue;
        };
        let a = groups.entry(group_of(t, by, month)).or_default();
        a.started += 1;
        if t.traject.retroactive() {
            a.retroactive += 1;
            continue;
        }
        a.from_request.push(days(from, start));
        a.from_ingang.push(days(t.ingangsdatum, start));
    }
    let mut table = Table::new(vec![
        by.name(),
        "started",
        "retroactive",
        "counted",
        "median_days_from_request",
        "p90_days_from_request",
        "median_days_from_ingang",
        "p90_days_from_ingang",
    ]);
    for (g, mut a) in groups {
        a.from_request.sort_unstable();
        a.from_ingang.sort_unstable();
        table.push(vec![
            g.into(),
            a.started.into(),
            a.retroactive.into(),
            (a.from_request.len() as i64).into(),
            percentile(&a.from_request, 50).into(),
            percentile(&a.from_request, 90).into(),
            percentile(&a.from_ingang, 50).into(),
            percentile(&a.from_ingang, 90).into(),
        ]);
    }
    table
}

/// Allocated, in force on `as_of`, and not started (see the module doc).
pub fn is_waiting(t: &ToewijzingKosten, as_of: NaiveDate) -> bool {
    t.traject.first_start.is_none()
        && t.traject.allocated_on.is_some_and(|a| a <= as_of)
        && t.ingangsdatum <= as_of
        && t.einddatum.is_none_or(|e| e >= as_of)
        && t.commitment_end.is_none_or(|e| e >= as_of)
}

/// Who is waiting on `as_of`, the longest wait first: the client's pseudonym, never a BSN.
pub fn waiting_now<'a>(
    allocations: impl IntoIterator<Item = &'a ToewijzingKosten>,
    as_of: NaiveDate,
) -> Table {
    let mut rows: Vec<(&ToewijzingKosten, i64)> = allocations
        .into_iter()
        .filter(|t| is_waiting(t, as_of))
        .filter_map(|t| Some((t, days(t.traject.wait_from()?, as_of))))
        .collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.key.cmp(&b.0.key)));
    let mut table = Table::new(vec![
        "gemeente",
        "agb",
        "client_pseudonym",
        "toewijzing_nummer",
        "standard",
        "categorie",
        "productcode",
        "waiting_since",
        "days_waiting",
        "ingangsdatum",
        "days_since_ingang",
    ]);
    for (t, waited) in rows {
        table.push(vec![
            t.gemeente.clone().into(),
            t.agb.clone().into(),
            t.client.clone().into(),
            t.toewijzing_nummer.into(),
            t.standard.slug().into(),
            t.categorie.clone().into(),
            t.productcode.clone().into(),
            date_cell(t.traject.wait_from()),
            waited.into(),
            Cell::Text(t.ingangsdatum.to_string()),
            days(t.ingangsdatum, as_of).into(),
        ]);
    }
    table
}
