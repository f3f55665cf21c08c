//! Order per client, parallel across clients.
//!
//! A message is judged against what earlier messages stored, so two messages that read or
//! write the same state must be judged in receipt order: a 305 judged before the 301 it starts
//! gets a spurious 9019. Messages that share nothing may be judged at the same time. This
//! module decides which is which inside one daemon:
//!
//! - [`keys_of`]: the ordering keys of a message — every piece of stored state its judgement
//!   reads or writes (the same scopes the PostgreSQL store takes advisory locks on, plus the
//!   fact scopes and the heenbericht a retour answers).
//! - [`Scheduler`]: a FIFO queue per key. Every delivery gets a [`Ticket`] in delivery order;
//!   once its keys are known it is registered in the queue of each; a group of tickets (one
//!   batch, judged in one transaction in ticket order) starts when, for every key of every
//!   member, nothing earlier is still waiting or running outside the group, and every earlier
//!   ticket has registered its keys. Acks may still complete out of order: only the start of
//!   judging is ordered.
//!
//! Deadlock-free: the earliest unfinished ticket has nothing ahead of it in any queue, so the
//! group holding it can always start once every ticket up to that group's last is registered;
//! registering never waits.
//!
//! Keys are kept as 64-bit hashes, so no BSN stays in memory longer than its message; two
//! keys that collide only serialise messages that could have run side by side.

use crate::message::model::Message;
use crate::rules::cross::partijen;
use crate::state::ContextKeys;
use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeSet, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

/// The ordering keys of a message: the state its judgement depends on or changes.
///
/// - each client (`bsn`, per standard: client state is read per gemeente and provider, and
///   the lock scope is wider, so the key is too), each ToewijzingNummer in the gemeente
///   (TR332 owners across providers), each ReferentieAanbieder and prestatie
///   ReferentieNummer of the provider, the DeclaratieNummer and the provider's declarations
///   to the gemeente (TR318, TR333) — exactly the [`ContextKeys`] the rules asked for;
/// - the sender's identification of this kind (TR056: a reused identification);
/// - the heenbericht: a message and the retour that answers it share it (the answer
///   obligation in the facts);
/// - the fact scopes the facts engine reads.
pub fn keys_of(msg: &Message, keys: &ContextKeys) -> Vec<String> {
    let s = msg.kind.standard;
    let (gemeente, agb) = partijen(msg);
    let h = &msg.header;
    let ident = &h.bericht_identificatie.identificatie;
    let mut out = BTreeSet::new();
    out.insert(format!("message|{}|{}|{ident}", h.afzender, msg.kind));
    let heen = match msg.kind.answers() {
        Some(heen) if msg.kind.is_retour() => heen,
        _ => msg.kind,
    };
    out.insert(format!("bericht|{heen}|{}|{ident}", h.afzender));
    for bsn in &keys.bsns {
        out.insert(format!("bsn|{s:?}|{bsn}"));
    }
    for n in &keys.toewijzing_nummers {
        out.insert(format!("toewijzing|{s:?}|{gemeente}|{n}"));
    }
    for r in &keys.referenties {
        out.insert(format!("referentie|{s:?}|{agb}|{r}"));
    }
    for r in &keys.referentie_nummers {
        out.insert(format!("referentienummer|{s:?}|{agb}|{r}"));
    }
    if let Some(d) = &keys.declaratie_nummer {
        out.insert(format!("declaratienummer|{s:?}|{agb}|{d}"));
        out.insert(format!("declaraties|{s:?}|{agb}|{gemeente}"));
    }
    out.extend(keys.fact_scopes.iter().map(|f| format!("fact|{f}")));
    out.into_iter().collect()
}

/// One ordering key, hashed.
type Key = u64;

fn hash_key(key: &str) -> Key {
    let mut h = DefaultHasher::new();
    key.hash(&mut h);
    h.finish()
}

/// FIFO queues per key; see the module documentation.
#[derive(Debug, Default)]
pub struct Scheduler {
    inner: Mutex<Inner>,
    changed: Notify,
}

#[derive(Debug, Default)]
struct Inner {
    /// The next ticket to hand out.
    next: u64,
    /// Every ticket below this one has registered its keys (or finished).
    registered_below: u64,
    /// Tickets at or above `registered_below` that registered already.
    registered: BTreeSet<u64>,
    /// Per key, the tickets waiting for it or holding it, in ticket order.
    queues: HashMap<Key, BTreeSet<u64>>,
    /// The keys of each registered, unfinished ticket.
    keys: HashMap<u64, Vec<Key>>,
    /// Keys of abandoned tickets (handed back to the broker unjudged), with the first ticket
    /// number handed out after: tickets below it that share the key must be handed back too,
    /// or they would be judged before the redelivery of the abandoned one.
    abandoned: HashMap<Key, u64>,
}

impl Inner {
    fn mark_registered(&mut self, seq: u64) {
        self.registered.insert(seq);
        while self.registered.remove(&self.registered_below) {
            self.registered_below += 1;
        }
    }

    fn register(&mut self, seq: u64, keys: Vec<Key>) {
        for k in &keys {
            self.queues.entry(*k).or_default().insert(seq);
        }
        self.keys.insert(seq, keys);
        self.mark_registered(seq);
    }

    fn finish(&mut self, seq: u64, registered: bool) {
        if let Some(keys) = self.keys.remove(&seq) {
            for k in keys {
                if let Some(q) = self.queues.get_mut(&k) {
                    q.remove(&seq);
                    if q.is_empty() {
                        self.queues.remove(&k);
                    }
                }
            }
        }
        if !registered {
            self.mark_registered(seq);
        }
    }

    /// True when the group may start: every ticket up to its last registered, and for each
    /// key of each member nothing earlier outside the group is waiting or running.
    fn may_start(&self, group: &[u64]) -> bool {
        let Some(last) = group.iter().max() else {
            return true;
        };
        if *last >= self.registered_below {
            return false;
        }
        group.iter().all(|seq| {
            self.keys.get(seq).into_iter().flatten().all(|k| {
                self.queues
                    .get(k)
                    .into_iter()
                    .flat_map(|q| q.range(..*seq))
                    .all(|earlier| group.contains(earlier))
            })
        })
    }
}

impl Scheduler {
    pub fn new() -> Arc<Scheduler> {
        Arc::new(Scheduler::default())
    }

    /// `n` tickets in delivery order. Take them in the order the deliveries arrived (one
    /// caller at a time, e.g. the consume loop).
    pub fn tickets(self: &Arc<Self>, n: usize) -> Vec<Ticket> {
        let mut inner = self.lock();
        (0..n)
            .map(|_| {
                let seq = inner.next;
                inner.next += 1;
                Ticket {
                    scheduler: self.clone(),
                    seq,
                    registered: false,
                }
            })
            .collect()
    }

    /// Waits until the group may start (see the module documentation). Every ticket of the
    /// group must be registered; a group holds its keys until its tickets are dropped.
    pub async fn ready(&self, group: &[&Ticket]) {
        let seqs: Vec<u64> = group.iter().map(|t| t.seq).collect();
        debug_assert!(group.iter().all(|t| t.registered));
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if self.lock().may_start(&seqs) {
                return;
            }
            changed.await;
        }
    }

    /// True when a member of the group shares a key with an earlier ticket that was
    /// [abandoned](Ticket::abandon): the group must be handed back unjudged as well.
    pub fn behind_abandoned(&self, group: &[&Ticket]) -> bool {
        let inner = self.lock();
        group.iter().any(|t| {
            inner
                .keys
                .get(&t.seq)
                .into_iter()
                .flatten()
                .any(|k| inner.abandoned.get(k).is_some_and(|below| t.seq < *below))
        })
    }

    /// [`Scheduler::ready`] without waiting.
    pub fn may_start(&self, group: &[&Ticket]) -> bool {
        let seqs: Vec<u64> = group.iter().map(|t| t.seq).collect();
        self.lock().may_start(&seqs)
    }

    /// Tickets registered or waiting and not finished (for tests and diagnostics).
    pub fn unfinished(&self) -> usize {
        let inner = self.lock();
        inner.keys.len() + (inner.next - inner.registered_below) as usize - inner.registered.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // the lock is never held across a panic point that leaves Inner half-changed
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One delivery's place in the order. Register its keys once known; dropping it finishes it
/// (releases its keys), whatever became of the delivery.
#[derive(Debug)]
pub struct Ticket {
    scheduler: Arc<Scheduler>,
    seq: u64,
    registered: bool,
}

impl Ticket {
    /// Enters the ticket in the queue of each key (see [`keys_of`]). A ticket without keys
    /// waits for nothing but earlier registrations.
    pub fn register<S: AsRef<str>>(&mut self, keys: &[S]) {
        let mut hashed: Vec<Key> = keys.iter().map(|k| hash_key(k.as_ref())).collect();
        hashed.sort_unstable();
        hashed.dedup();
        if !self.registered {
            self.registered = true;
            self.scheduler.lock().register(self.seq, hashed);
            self.scheduler.changed.notify_waiters();
        }
    }

    /// Finishes a ticket whose delivery goes back to the broker unjudged (nack with requeue):
    /// every ticket already handed out that shares one of its keys must go back too (see
    /// [`Scheduler::behind_abandoned`]); later tickets (the redelivery among them) are not
    /// affected.
    pub fn abandon(self) {
        {
            let mut inner = self.scheduler.lock();
            let below = inner.next;
            if let Some(keys) = inner.keys.get(&self.seq).cloned() {
                for k in keys {
                    // a ticket handed back because it was behind an abandoned one keeps that
                    // mark, so the redelivery of the first is not sent back as well
                    let mark = inner.abandoned.entry(k).or_insert(below);
                    if *mark <= self.seq {
                        *mark = below;
                    }
                }
            }
        }
        drop(self);
    }

    /// Its place in delivery order.
    pub fn seq(&self) -> u64 {
        self.seq
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.scheduler.lock().finish(self.seq, self.registered);
        self.scheduler.changed.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::time::Duration;

    fn registered(s: &Arc<Scheduler>, keys: &[&[&str]]) -> Vec<Ticket> {
        let mut t = s.tickets(keys.len());
        for (t, k) in t.iter_mut().zip(keys) {
            t.register(k);
        }
        t
    }

    fn keys(name: &str) -> BTreeSet<String> {
        let path = format!(
            "{}/fixtures/messages/{name}.xml",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(path).unwrap();
        let kind = crate::transport::Summary::sniff(text.as_bytes())
            .kind
            .unwrap();
        let msg = crate::message::model::parse(kind, &text).unwrap();
        keys_of(&msg, &crate::rules::cross::context_keys(&msg))
            .into_iter()
            .collect()
    }

    #[test]
    fn the_story_of_one_client_shares_keys() {
        let (t301, t302, t305, t323) = (keys("JW301"), keys("JW302"), keys("JW305"), keys("JW323"));
        assert!(!t301.is_disjoint(&t305), "a 305 waits for its 301");
        assert!(
            !t301.is_disjoint(&t302),
            "a retour waits for its heenbericht"
        );
        assert!(
            !t305.is_disjoint(&t323),
            "a declaration waits for the start"
        );
        assert!(
            t301.is_disjoint(&keys("WMO301")),
            "another standard: no order"
        );
        assert!(
            t305.iter()
                .all(|k| !k.contains("999912367") || k.starts_with("bsn|")),
            "the BSN only in its own key (hashed before it is kept)"
        );
    }

    #[test]
    fn a_later_message_of_a_key_waits_for_the_earlier_one() {
        let s = Scheduler::new();
        let mut t = registered(&s, &[&["a"], &["b"], &["a"]]).into_iter();
        let (first, second, third) = (t.next().unwrap(), t.next().unwrap(), t.next().unwrap());
        assert!(s.may_start(&[&first]));
        assert!(s.may_start(&[&second]), "another key runs alongside");
        assert!(!s.may_start(&[&third]));
        assert!(
            s.may_start(&[&first, &second, &third]),
            "one batch, in order"
        );
        drop(first);
        assert!(s.may_start(&[&third]));
        drop((second, third));
        assert_eq!(s.unfinished(), 0);
    }

    #[test]
    fn a_message_with_several_keys_waits_for_all_of_them() {
        let s = Scheduler::new();
        let mut t = registered(&s, &[&["a"], &["b"], &["a", "b"], &["c", "b"]]).into_iter();
        let (a, b, ab, cb) = (
            t.next().unwrap(),
            t.next().unwrap(),
            t.next().unwrap(),
            t.next().unwrap(),
        );
        drop(a);
        assert!(!s.may_start(&[&ab]), "b is still running");
        assert!(!s.may_start(&[&cb]), "behind ab on b");
        drop(b);
        assert!(s.may_start(&[&ab]));
        assert!(!s.may_start(&[&cb]));
        drop(ab);
        assert!(s.may_start(&[&cb]));
    }

    #[test]
    fn nothing_starts_before_every_earlier_ticket_registered() {
        let s = Scheduler::new();
        let mut t = s.tickets(2);
        let mut later = t.pop().unwrap();
        let earlier = t.pop().unwrap();
        later.register(&["x"]);
        assert!(
            !s.may_start(&[&later]),
            "the earlier one may still turn out to share x"
        );
        drop(earlier); // finished without keys (e.g. unprocessable)
        assert!(s.may_start(&[&later]));
    }

    #[test]
    fn what_shares_a_key_with_an_abandoned_ticket_goes_back_too() {
        let s = Scheduler::new();
        let mut t = registered(&s, &[&["a"], &["a"], &["b"]]).into_iter();
        let (first, second, other) = (t.next().unwrap(), t.next().unwrap(), t.next().unwrap());
        first.abandon();
        assert!(s.behind_abandoned(&[&second]));
        assert!(!s.behind_abandoned(&[&other]));
        let redelivery = registered(&s, &[&["a"]]);
        assert!(!s.behind_abandoned(&[&redelivery[0]]));
        assert!(
            !s.may_start(&[&redelivery[0]]),
            "still behind the second one"
        );
        second.abandon();
        assert!(s.may_start(&[&redelivery[0]]));
    }

    #[tokio::test]
    async fn a_waiting_group_starts_when_its_predecessor_finishes() {
        let s = Scheduler::new();
        let mut t = registered(&s, &[&["k"], &["k"]]).into_iter();
        let (first, second) = (t.next().unwrap(), t.next().unwrap());
        let s2 = s.clone();
        let waiter = tokio::spawn(async move {
            s2.ready(&[&second]).await;
            second.seq()
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiter.is_finished());
        drop(first);
        let seq = tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .expect("started")
            .unwrap();
        assert_eq!(seq, 1);
    }

    /// One scenario: messages with keys from a small alphabet, cut into consecutive groups
    /// (batches), registered in a random order, started and finished in a random
    /// interleaving.
    #[derive(Debug, Clone)]
    struct Scenario {
        keys: Vec<Vec<u8>>,
        cuts: Vec<bool>,
        steps: Vec<u16>,
    }

    fn scenario() -> impl Strategy<Value = Scenario> {
        (1usize..40).prop_flat_map(|n| {
            (
                proptest::collection::vec(proptest::collection::vec(0u8..6, 0..4), n),
                proptest::collection::vec(any::<bool>(), n),
                proptest::collection::vec(any::<u16>(), 0..400),
            )
                .prop_map(|(keys, cuts, steps)| Scenario { keys, cuts, steps })
        })
    }

    /// (later, earlier) when a member of `group` shares a key with an unfinished earlier
    /// message outside the group.
    fn started_too_early(
        keys: &[Vec<u8>],
        finished: &[bool],
        group: &[usize],
    ) -> Option<(usize, usize)> {
        group.iter().find_map(|&i| {
            (0..group[0])
                .find(|&e| !finished[e] && keys[e].iter().any(|k| keys[i].contains(k)))
                .map(|e| (i, e))
        })
    }

    proptest! {
           /// Whatever the order of registrations, starts and completions: a group never starts
           /// while an earlier message sharing a key with it is unfinished, and every group
           /// eventually starts (no deadlock).
           #[test]
           fn later_messages_of_a_key_never_start_before_earlier_ones_finished(sc in scenario()) {
               let s = Scheduler::new();
               let n = sc.keys.len();
               let mut tickets: Vec<Option<Ticket>> = s.tickets(n).into_iter().map(Some).collect();
               // groups of consecutive tickets
               let mut groups: Vec<Vec<usize>> = vec![vec![0]];
               for i in 1..n {
                   if sc.cuts[i] { groups.push(vec![i]) } else { groups.last_mut().unwrap().push(i) }
               }
               let names: Vec<Vec<String>> = sc.keys.iter()
                   .map(|k| k.iter().map(|c| format!("k{c}")).collect()).collect();
               let mut is_registered = vec![false; n];
               let mut started = vec![false; groups.len()];
               let mut finished = vec![false; n];
               let mut steps = sc.steps.iter().copied().chain(std::iter::repeat(0));
               let mut idle_rounds = 0;
               while finished.iter().any(|f| !f) {
                   let step = steps.next().unwrap() as usize;
                   let action = step % 3;
                   let pick = step / 3;
                   let progressed = match action {
                       0 => {
                           // register a random unregistered ticket
                           let open: Vec<usize> = (0..n).filter(|i| !is_registered[*i]).collect();
                           if open.is_empty() { false } else {
                               let i = open[pick % open.len()];
                               tickets[i].as_mut().unwrap().register(&names[i]);
                               is_registered[i] = true;
                               true
                           }
                       }
                       1 => {
                           // try to start a random waiting group whose tickets are registered
                           let open: Vec<usize> = (0..groups.len())
                               .filter(|g| !started[*g] && groups[*g].iter().all(|i| is_registered[*i]))
                               .collect();
                           if open.is_empty() { false } else {
                               let g = open[pick % open.len()];
                               let members: Vec<&Ticket> = groups[g].iter()
                                   .map(|i| tickets[*i].as_ref().unwrap()).collect();
                               if s.may_start(&members) {
                                   let early = started_too_early(&sc.keys, &finished, &groups[g]);
    prop_assert!(early.is_none(), "message started before an earlier one of its key finished: {:?}", early);
                                   started[g] = true;
                                   true
                               } else { false }
                           }
                       }
                       _ => {
                           // finish a random started message (acks complete in any order)
                           let open: Vec<usize> = (0..groups.len()).filter(|g| started[*g])
                               .flat_map(|g| groups[g].clone()).filter(|i| !finished[*i]).collect();
                           if open.is_empty() { false } else {
                               let i = open[pick % open.len()];
                               tickets[i] = None;
                               finished[i] = true;
                               true
                           }
                       }
                   };
                   idle_rounds = if progressed { 0 } else { idle_rounds + 1 };
                   if idle_rounds > 3 {
                       // the random steps are used up or stuck: is anything startable at all?
                       let all_registered = is_registered.iter().all(|r| *r);
                       let running = (0..groups.len()).any(|g| started[g]
                           && groups[g].iter().any(|i| !finished[*i]));
                       if all_registered && !running {
                           let startable = (0..groups.len()).filter(|g| !started[*g]).any(|g| {
                               let members: Vec<&Ticket> = groups[g].iter()
                                   .map(|i| tickets[*i].as_ref().unwrap()).collect();
                               s.may_start(&members)
                           });
                           prop_assert!(startable, "deadlock: nothing running, nothing may start");
                       }
                       // drive on deterministically: register, then start, then finish in order
                       if let Some(i) = (0..n).find(|i| !is_registered[*i]) {
                           tickets[i].as_mut().unwrap().register(&names[i]);
                           is_registered[i] = true;
                       } else if let Some(i) = (0..n).find(|i| !finished[*i]
                           && started[groups.iter().position(|g| g.contains(i)).unwrap()]) {
                           tickets[i] = None;
                           finished[i] = true;
                       } else {
                           for g in 0..groups.len() {
                               if started[g] { continue; }
                               let members: Vec<&Ticket> = groups[g].iter()
                                   .map(|i| tickets[*i].as_ref().unwrap()).collect();
                               if s.may_start(&members) {
                                   let early = started_too_early(&sc.keys, &finished, &groups[g]);
    prop_assert!(early.is_none(), "message started before an earlier one of its key finished: {:?}", early);
                                   started[g] = true;
                                   break;
                               }
                           }
                       }
                       idle_rounds = 0;
                   }
               }
               prop_assert_eq!(s.unfinished(), 0);
           }
       }
}
