//! intake → parse → validate → decide → persist, the same for every transport. A transport
//! hands in bytes with their receipt time and acknowledges only after [`Pipeline::handle`]
//! returned `Ok` (the transaction has committed by then).

use crate::facts::FactsEngine;
use crate::finding::Finding;
use crate::message::model;
use crate::protocol::deadlines::local_date;
use crate::rules::cross::{self, DecideInput};
use crate::state::{Outgoing, Verdict};
use crate::store::{Received, Store, StoreError, Stored};
use crate::validate::Validator;
use chrono::{DateTime, NaiveDate, Utc};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use thiserror::Error;

/// One message as a transport received it.
#[derive(Debug, Clone)]
pub struct Incoming {
    pub bytes: Vec<u8>,
    /// When the message reached the region: AMQP `timestamp` or intake time; the spool file's
    /// modification time; or set explicitly by replays.
    pub received_at: DateTime<Utc>,
    /// Where it came from (file name, AMQP message id), for logs and reasons.
    pub origin: String,
}

/// What became of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled {
    /// Judged and stored; answers and forwards are in the outbox.
    Stored {
        message_id: i64,
        verdict: Verdict,
        retour_codes: Vec<String>,
        outgoing: usize,
    },
    /// Seen before with identical content: nothing changed. `answers` is what was sent then,
    /// so a transport may send it again.
    Duplicate {
        message_id: i64,
        answers: Vec<Outgoing>,
    },
    /// No retour can be built (not XML, unknown message, schema errors — the standard answers
    /// those at transport level, not with a retour): keep it aside with the reason.
    Unprocessable {
        reason: String,
        findings: Vec<Finding>,
    },
}

#[derive(Debug, Error)]
pub enum PipelineError {
    /// Storage failed: leave the message where it is (nack/requeue, keep the file) and retry.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Fixed choices of one running service.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The system date the rules judge by (TR135, "current" allocations, DagtekeningRetour of
    /// the answers). None: the Dutch calendar day the message reached the region. Decision:
    /// judging by receipt rather than by the wall clock makes the outcome depend on the message
    /// alone, so a backlog processed after an outage, or a replay of last year's files, gets
    /// the answers it would have got on arrival. `Some` pins one date for every message.
    pub today: Option<NaiveDate>,
}

pub struct Pipeline {
    store: Arc<dyn Store>,
    validator: Validator<'static>,
    settings: Settings,
    /// Records timeliness and cost facts when set (see [`crate::facts`]).
    facts: Option<Arc<FactsEngine>>,
}

impl Pipeline {
    pub fn new(store: Arc<dyn Store>, settings: Settings) -> Pipeline {
        Pipeline {
            store,
            validator: Validator::embedded(),
            settings,
            facts: None,
        }
    }

    /// Records timeliness and cost facts, in the transaction of each message.
    pub fn with_facts(mut self, facts: FactsEngine) -> Pipeline {
        self.facts = Some(Arc::new(facts));
        self
    }

    pub fn facts(&self) -> Option<&Arc<FactsEngine>> {
        self.facts.as_ref()
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Processes one message completely. `Ok` means the outcome is durable (or the input was
    /// unprocessable and must be kept aside): the transport may acknowledge.
    pub async fn handle(&self, incoming: &Incoming) -> Result<Handled, PipelineError> {
        let report = self.validator.validate(&incoming.bytes);
        match (report.kind, report.tree.as_ref()) {
            (Some(kind), Some(tree)) => self.judge(incoming, kind, tree, !report.valid()).await,
            _ => Ok(unprocessable(report.findings)),
        }
    }

    async fn judge(
        &self,
        incoming: &Incoming,
        kind: crate::message::kind::MessageKind,
        tree: &crate::message::tree::Element,
        level2_failed: bool,
    ) -> Result<Handled, PipelineError> {
        let text = std::str::from_utf8(&incoming.bytes).unwrap_or_default();
        let msg = match model::parse(kind, text) {
            Ok(m) => m,
            Err(e) => {
                return Ok(Handled::Unprocessable {
                    reason: format!("{kind} passed the schema checks but could not be read: {e}"),
                    findings: Vec::new(),
                })
            }
        };
        let content_hash = hex::encode(Sha256::digest(&incoming.bytes));
        let answer_id = format!("R{}", &content_hash[..11]);
        let mut keys = cross::context_keys(&msg);
        if let Some(f) = &self.facts {
            keys.fact_scopes = f.scopes(&msg);
        }
        let received = Received {
            kind,
            sender: msg.header.afzender.clone(),
            receiver: msg.header.ontvanger.clone(),
            identificatie: msg.header.bericht_identificatie.identificatie.clone(),
            dagtekening: msg.header.bericht_identificatie.dagtekening,
            received_at: incoming.received_at,
            content_hash,
            raw: incoming.bytes.clone(),
            keys,
        };
        let today = self
            .settings
            .today
            .unwrap_or_else(|| local_date(incoming.received_at));
        let input = DecideInput {
            msg: &msg,
            tree,
            received_at: incoming.received_at,
            today,
            answer_id: &answer_id,
            level2_failed,
            text,
        };
        let facts = self.facts.clone();
        let decide = move |ctx: &crate::state::Context| {
            let mut outcome = cross::decide(&input, ctx);
            if let Some(f) = &facts {
                outcome.facts = f.derive(&input, ctx, &outcome);
            }
            outcome
        };
        Ok(match self.store.store(&received, &decide).await? {
            Stored::New {
                message_id,
                outcome,
            } => Handled::Stored {
                message_id,
                verdict: outcome.verdict,
                retour_codes: outcome.retour_codes,
                outgoing: outcome.outgoing.len(),
            },
            Stored::Duplicate {
                message_id,
                answers,
            } => Handled::Duplicate {
                message_id,
                answers,
            },
        })
    }
}

fn unprocessable(findings: Vec<Finding>) -> Handled {
    let reason = findings
        .first()
        .map(|f| {
            format!(
                "{} at {}:{} {}: {}",
                f.rule.as_deref().unwrap_or("-"),
                f.line,
                f.column,
                f.path,
                f.message
            )
        })
        .unwrap_or_else(|| "unprocessable".to_string());
    Handled::Unprocessable { reason, findings }
}
