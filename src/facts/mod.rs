//! Facts for the regional dashboard: timeliness and cost, keyed by a pseudonym, never a BSN.

pub mod pseudonym;
