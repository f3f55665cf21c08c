//! The 18+ handover (issue 11, item 5): Jeugdwet clients who turn 18 soon while an allocation
//! runs past that birthday, so the municipality can arrange what follows (Wmo, Zvw, Wlz) in
//! time. Per municipality and provider, pseudonymised, with the ToewijzingNummer by which the
//! municipality finds the client in its own system.
//!
//! The facts keep only the month of the 18th birthday and whether the allocation runs on or
//! past the birthday itself (both derived from the 301's Geboortedatum, see
//! [`super::traject`]); the birth date never enters the facts.
//!
//! Decisions on points the issue leaves open:
//! - the **horizon** of N months (default 12) is counted in whole months: the month of the
//!   as-of day and the N − 1 after it (as of 5 December 2026 with 12: December 2026 up to
//!   November 2027). A client who turned 18 earlier in the as-of month is still listed;
//! - an allocation is listed while it is **in force** on the as-of day (its first 301 received
//!   by then, its end — Einddatum or definitive stop — not before it); one that was already
//!   started or not yet both count.

use super::traject::date_cell;
use super::ToewijzingKosten;
use crate::protocol::deadlines::first_of_month;
use crate::report::{Cell, Table};
use chrono::{Months, NaiveDate};

/// The default horizon in months.
pub const HORIZON_MONTHS: u32 = 12;

/// Whether `t` belongs on the list as of `as_of` with a horizon of `months`.
pub fn in_horizon(t: &ToewijzingKosten, as_of: NaiveDate, months: u32) -> bool {
    let first = first_of_month(as_of);
    let Some(past) = first.checked_add_months(Months::new(months)) else {
        return false;
    };
    t.traject.runs_past_18 == Some(true)
        && t.traject
            .turns_18_month
            .is_some_and(|m| m >= first && m < past)
        && t.commitment_end.is_none_or(|e| e >= as_of)
        && t.traject.allocated_on.is_none_or(|a| a <= as_of)
}

/// The list, per municipality, provider, birthday month, client and allocation.
pub fn handover_of<'a>(
    allocations: impl IntoIterator<Item = &'a ToewijzingKosten>,
    as_of: NaiveDate,
    months: u32,
) -> Table {
    let mut rows: Vec<&ToewijzingKosten> = allocations
        .into_iter()
        .filter(|t| in_horizon(t, as_of, months))
        .collect();
    rows.sort_by(|a, b| {
        (
            &a.gemeente,
            &a.agb,
            a.traject.turns_18_month,
            &a.client,
            a.toewijzing_nummer,
        )
            .cmp(&(
                &b.gemeente,
                &b.agb,
                b.traject.turns_18_month,
                &b.client,
                b.toewijzing_nummer,
            ))
    });
    let mut table = Table::new(vec![
        "gemeente",
        "agb",
        "client_pseudonym",
        "toewijzing_nummer",
        "categorie",
        "productcode",
        "turns_18_month",
        "ingangsdatum",
        "einddatum",
        "first_start",
    ]);
    for t in rows {
        table.push(vec![
            t.gemeente.clone().into(),
            t.agb.clone().into(),
            t.client.clone().into(),
            t.toewijzing_nummer.into(),
            t.categorie.clone().into(),
            t.productcode.clone().into(),
            t.traject
                .turns_18_month
                .map_or(Cell::Empty, |m| Cell::Text(m.format("%Y-%m").to_string())),
            Cell::Text(t.ingangsdatum.to_string()),
            date_cell(t.einddatum),
            date_cell(t.traject.first_start),
        ]);
    }
    table
}
