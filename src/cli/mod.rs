//! One module per subcommand.

pub mod contracts;
pub mod dashboard;
pub mod demo;
pub mod facts_args;
pub mod generate;
pub mod migrate;
pub mod serve;
pub mod stats;
pub mod store_args;
pub mod sweep;
pub mod token;
pub mod validate;
