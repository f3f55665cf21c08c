//! The administration protocol: working days, deadlines and timeliness.

pub mod calendar;
pub mod deadlines;
