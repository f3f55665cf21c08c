//! ijwmo: checks iJw 3.2 and iWmo 3.2 messages the way the standard and the regional contracts
//! demand, answers the sender, and records timeliness and cost facts.

pub mod config;
pub mod contracts;
pub mod corpus;
pub mod facts;
pub mod finding;
pub mod generate;
pub mod http;
pub mod message;
pub mod pipeline;
pub mod protocol;
pub mod report;
pub mod rules;
pub mod schema;
pub mod state;
pub mod store;
pub mod transport;
pub mod validate;

pub use finding::{Finding, Layer};
pub use message::kind::{MessageKind, Standard};
