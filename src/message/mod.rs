//! The iJw/iWmo message model: kinds, the typed model used by the rules, and writing.

pub mod bsn;
pub mod doc;
pub mod kind;
pub mod lexical;
pub mod model;
pub mod tree;
pub mod write;
