//! Facts for the regional dashboard: timeliness (one row per obligation of the administration
//! protocol) and cost (one row per declared prestatie, one per allocation), keyed by a
//! pseudonym, never a BSN.
//!
//! How facts are written (the design in short):
//! - facts are a **function of the stored lifecycle state**, grouped in *scopes*: one client at
//!   one provider in one gemeente and domain (starts, stops, declaration months, costs), one
//!   request (ReferentieAanbieder: the answers owed on it), one heenbericht (the retour or 325
//!   owed on it). A scope's rows are always derived as a whole ([`FactSet`]) and written in
//!   proportion to the change: only rows that went, came or differ ([`delta`]);
//! - while judging a message, [`FactsEngine::derive`] computes the new rows of every scope the
//!   message touches from the context the store loaded (the state before the message, plus the
//!   message's own changes, plus the scope's current fact rows) and returns them in the
//!   [`crate::state::Outcome`]; the store writes them in the **same transaction** as the
//!   message log entry, the state changes and the outbox rows;
//! - the [`sweep`] (run by `serve` periodically and by `ijwmo sweep --date D`) re-derives the
//!   scopes of clients with a running delivery as of D (new months of care are owed a
//!   declaration) and marks every unmet obligation whose due date has passed `overdue`;
//! - every date counts from receipt (`received_at`, as a Dutch calendar day), never from
//!   processing time; a scope is evaluated as of the latest receipt date or sweep date it has
//!   seen, so processing messages out of order never moves it back in time.

pub mod betaler;
pub mod budget;
pub mod cost;
pub mod delta;
pub mod engine;
pub mod handover;
pub mod penalties;
pub mod pseudonym;
pub mod query;
pub mod rejections;
pub mod stats;
pub mod sweep;
pub mod timeliness;
pub mod traject;
pub mod trajectories;
pub mod waiting;

pub use betaler::Betalers;
pub use cost::{PrestatieKosten, ToewijzingKosten};
pub use engine::{FactsConfig, FactsEngine, FactsError};
pub use timeliness::{ObligationKind, Partij, TimelinessFact};

use serde::Serialize;

/// All fact rows of one scope. After writing it the rows stored under `scope` (in all three
/// fact tables) are exactly these ([`delta`] decides which rows that takes).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FactSet {
    pub scope: String,
    pub timeliness: Vec<TimelinessFact>,
    pub prestaties: Vec<PrestatieKosten>,
    pub toewijzingen: Vec<ToewijzingKosten>,
}
