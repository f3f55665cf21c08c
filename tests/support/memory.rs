//! `InMemoryStore`: a tiny `Store` kept in memory, only to exercise transport logic until the
//! real SQLite/PostgreSQL stores are merged. It implements the trait's contract as far as the
//! transports see it: redelivery detection (same sender, kind, identification and content →
//! `Duplicate` with the answers given then), outbox rows with claims that expire after a
//! minute, and counts. It keeps no lifecycle state: `decide` always sees an empty context
//! (except `identificatie_reused`).

use async_trait::async_trait;
use ijwmo::state::{Change, Context, Outgoing};
use ijwmo::store::{Counts, Decide, OutboxRow, Received, Store, StoreError, Stored};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a claim on an outbox row lasts (the trait says a minute).
const CLAIM: Duration = Duration::from_secs(60);

#[derive(Default)]
pub struct InMemoryStore {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    next_id: i64,
    messages: Vec<Logged>,
    outbox: Vec<Row>,
    counts: Counts,
}

struct Logged {
    id: i64,
    sender: String,
    kind: ijwmo::MessageKind,
    identificatie: String,
    content_hash: String,
}

struct Row {
    id: i64,
    message_id: i64,
    message: Outgoing,
    sent: bool,
    claimed_at: Option<Instant>,
}

impl InMemoryStore {
    pub fn new() -> InMemoryStore {
        InMemoryStore::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Inner {
    fn next(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }
}

#[async_trait]
impl Store for InMemoryStore {
    async fn migrate(&self) -> Result<(), StoreError> {
        Ok(())
    }

    async fn store(&self, received: &Received, decide: &Decide<'_>) -> Result<Stored, StoreError> {
        let mut inner = self.lock();
        let same_key = |m: &&Logged| {
            m.sender == received.sender
                && m.kind == received.kind
                && m.identificatie == received.identificatie
        };
        if let Some(m) = inner
            .messages
            .iter()
            .filter(same_key)
            .find(|m| m.content_hash == received.content_hash)
        {
            let message_id = m.id;
            let answers = inner
                .outbox
                .iter()
                .filter(|r| r.message_id == message_id)
                .map(|r| r.message.clone())
                .collect();
            return Ok(Stored::Duplicate {
                message_id,
                answers,
            });
        }
        let ctx = Context {
            identificatie_reused: inner.messages.iter().any(|m| same_key(&m)),
            ..Context::default()
        };
        let outcome = decide(&ctx);
        let message_id = inner.next();
        inner.messages.push(Logged {
            id: message_id,
            sender: received.sender.clone(),
            kind: received.kind,
            identificatie: received.identificatie.clone(),
            content_hash: received.content_hash.clone(),
        });
        inner.counts.messages += 1;
        for change in &outcome.changes {
            let c = &mut inner.counts;
            match change {
                Change::AddToewijzing(_) => c.toewijzingen += 1,
                Change::AddLevering(_) => c.leveringen += 1,
                Change::AddVerzoek(_) => c.verzoeken += 1,
                Change::AddAntwoord(_) => c.antwoorden += 1,
                Change::AddDeclaratie(_) => c.declaraties += 1,
                Change::AddPrestatie(_) => c.prestaties += 1,
                Change::DeleteLevering { .. } | Change::SetVerzoekStatus { .. } => {}
            }
        }
        for message in &outcome.outgoing {
            let id = inner.next();
            inner.outbox.push(Row {
                id,
                message_id,
                message: message.clone(),
                sent: false,
                claimed_at: None,
            });
        }
        Ok(Stored::New {
            message_id,
            outcome,
        })
    }

    async fn claim_outbox(&self, limit: i64) -> Result<Vec<OutboxRow>, StoreError> {
        let mut inner = self.lock();
        let now = Instant::now();
        let limit = usize::try_from(limit).unwrap_or(0);
        Ok(inner
            .outbox
            .iter_mut()
            .filter(|r| !r.sent && r.claimed_at.is_none_or(|t| now.duration_since(t) >= CLAIM))
            .take(limit)
            .map(|r| {
                r.claimed_at = Some(now);
                OutboxRow {
                    id: r.id,
                    message: r.message.clone(),
                }
            })
            .collect())
    }

    async fn mark_sent(&self, ids: &[i64]) -> Result<(), StoreError> {
        let mut inner = self.lock();
        for r in inner.outbox.iter_mut().filter(|r| ids.contains(&r.id)) {
            r.sent = true;
        }
        Ok(())
    }

    async fn counts(&self) -> Result<Counts, StoreError> {
        let inner = self.lock();
        let mut c = inner.counts.clone();
        c.outbox = inner.outbox.len() as i64;
        c.outbox_unsent = inner.outbox.iter().filter(|r| !r.sent).count() as i64;
        Ok(c)
    }
}
