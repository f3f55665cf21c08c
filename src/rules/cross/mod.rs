//! Layers 3 and 4: rules across messages (TR "berichtoverstijgend", OP) judged against stored
//! state, and the answers (retours, 325) and forwards they lead to.
//!
//! Scaffold: the contract the pipeline calls. The rules themselves are being written.

use crate::message::model::Message;
use crate::message::tree::Element;
use crate::state::{Context, ContextKeys, Outcome, Verdict};
use chrono::{DateTime, NaiveDate, Utc};

/// One message to judge, with what the rules may need besides stored state.
#[derive(Debug, Clone, Copy)]
pub struct DecideInput<'a> {
    pub msg: &'a Message,
    /// The same message as an element tree (answers copy classes from it).
    pub tree: &'a Element,
    pub received_at: DateTime<Utc>,
    /// The system date in the region (TR135, "current" allocations).
    pub today: NaiveDate,
    /// Identification for the retour or 325 this message gets (unique per message).
    pub answer_id: &'a str,
    /// Level-2 findings (CD/CS/TR within the message): if any, the answer is a header-only
    /// rejection with 0001 and no state changes.
    pub level2_failed: bool,
}

/// The stored state `msg` must be judged against.
pub fn context_keys(msg: &Message) -> ContextKeys {
    ContextKeys {
        standard: Some(msg.kind.standard),
        ..ContextKeys::default()
    }
}

/// Judges the message against its context: retour codes, state changes, outgoing messages.
pub fn decide(input: &DecideInput, ctx: &Context) -> Outcome {
    let _ = (input, ctx);
    Outcome {
        verdict: Verdict::Recorded,
        retour_codes: Vec::new(),
        changes: Vec::new(),
        outgoing: Vec::new(),
    }
}
