//! One module per subcommand.

pub mod contracts;
pub mod store_args;
pub mod validate;
