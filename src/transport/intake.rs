//! The memory budget of the AMQP intake: how many bytes of input the service holds at once.
//!
//! The broker sends up to `prefetch` unacknowledged deliveries whatever their size (RabbitMQ
//! ignores `prefetch_size`), and lapin keeps every one in memory until it is settled; judging a
//! message takes a few times its size again (text, element tree, typed model, compressed copy,
//! answers). Sixteen 24 MB messages took the service to 1.9 GB. Three measures bound it by
//! `amqp.max_inflight_bytes` (the budget):
//!
//! 1. **Judging** takes a share of the budget ([`Budget`], a semaphore weighted in KiB): a batch
//!    starts only when its bytes fit next to the batches already being judged (one message
//!    larger than the whole budget is judged alone).
//! 2. **The prefetch narrows while large messages arrive** ([`Intake`]): the consumer starts
//!    with the narrow prefetch, budget ÷ `max_message_size` (at least 1), widens to the
//!    configured prefetch after a prefetch's worth of small deliveries in a row, and narrows
//!    again at the first delivery larger than budget ÷ prefetch. RabbitMQ applies a consumer's prefetch only when the consumer starts, so the
//!    switch cancels the consumer (its deliveries already received are still judged and acked)
//!    and starts a new one on the same channel.
//! 3. **Memory goes back to the system** after a large message ([`release_memory`]): glibc keeps
//!    freed memory in its per-thread arenas, so without a trim the peak stayed the resident size.
//!
//! What remains unbounded by construction: while the prefetch is wide, the large deliveries the
//! broker sends before the first of them has arrived and the consumer is switched (at most the
//! wide prefetch of them; in practice the few published in that instant). A region whose messages are
//! large as a rule sets `amqp.prefetch` low, or `max_message_size` to what it really receives.

use futures_util::future::BoxFuture;
use futures_util::{FutureExt, Stream, StreamExt};
use lapin::message::Delivery;
use lapin::options::{BasicCancelOptions, BasicConsumeOptions, BasicQosOptions};
use lapin::types::{FieldTable, ShortString};
use lapin::{Channel, Consumer};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The share of the budget a batch holds while it is judged and settled.
#[derive(Clone)]
pub struct Budget {
    permits: Arc<Semaphore>,
    total_kib: u32,
}

impl Budget {
    pub fn new(max_inflight_bytes: usize) -> Budget {
        let total_kib = u32::try_from(max_inflight_bytes.div_ceil(1024).max(1)).unwrap_or(u32::MAX);
        Budget {
            permits: Arc::new(Semaphore::new(total_kib as usize)),
            total_kib,
        }
    }

    /// Waits until `bytes` fit in the budget (a request larger than the budget waits for all
    /// of it, so it runs alone).
    pub async fn take(&self, bytes: usize) -> OwnedSemaphorePermit {
        let kib = u32::try_from(bytes.div_ceil(1024))
            .unwrap_or(u32::MAX)
            .clamp(1, self.total_kib);
        self.permits
            .clone()
            .acquire_many_owned(kib)
            .await
            .expect("the budget is never closed")
    }

    /// KiB not taken at the moment.
    pub fn available_kib(&self) -> usize {
        self.permits.available_permits()
    }
}

/// The prefetch values the intake switches between, from the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prefetch {
    pub wide: u16,
    pub narrow: u16,
    /// A delivery of at least this many bytes switches to `narrow`.
    pub large: usize,
}

impl Prefetch {
    pub fn new(prefetch: u16, max_inflight_bytes: usize, max_message_size: usize) -> Prefetch {
        let wide = prefetch.max(1);
        let narrow = (max_inflight_bytes / max_message_size.max(1)).clamp(1, usize::from(wide));
        let narrow = u16::try_from(narrow).unwrap_or(wide);
        let large = if narrow >= wide {
            usize::MAX // the wide prefetch fits the budget even with messages of the largest size
        } else {
            (max_inflight_bytes / usize::from(wide)).max(1)
        };
        Prefetch {
            wide,
            narrow,
            large,
        }
    }
}

/// The consumer of the input queue as one stream of deliveries, whose prefetch narrows while
/// large messages arrive (see the module doc).
pub struct Intake {
    channel: Channel,
    queue: ShortString,
    prefetch: Prefetch,
    current: Option<Consumer>,
    /// Cancelled consumers whose received deliveries are still handed out.
    draining: Vec<Consumer>,
    switching: Option<BoxFuture<'static, Result<Consumer, lapin::Error>>>,
    narrow: bool,
    small_in_a_row: usize,
}

async fn consume(
    channel: &Channel,
    queue: &ShortString,
    prefetch: u16,
) -> Result<Consumer, lapin::Error> {
    channel
        .basic_qos(prefetch, BasicQosOptions { global: false })
        .await?;
    channel
        .basic_consume(
            queue.clone(),
            "".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
}

impl Intake {
    /// Starts consuming with the narrow prefetch (when it differs from the wide one): a
    /// backlog of large messages waiting at start-up, after an outage, must not arrive all at
    /// once. A prefetch's worth of small deliveries in a row widens it.
    pub async fn start(
        channel: Channel,
        queue: &str,
        prefetch: Prefetch,
    ) -> Result<Intake, lapin::Error> {
        let queue: ShortString = queue.into();
        let narrow = prefetch.narrow < prefetch.wide;
        let first = if narrow {
            prefetch.narrow
        } else {
            prefetch.wide
        };
        let consumer = consume(&channel, &queue, first).await?;
        Ok(Intake {
            channel,
            queue,
            prefetch,
            current: Some(consumer),
            draining: Vec::new(),
            switching: None,
            narrow,
            small_in_a_row: 0,
        })
    }

    /// True while the narrow prefetch is in force (or being switched to).
    pub fn is_narrow(&self) -> bool {
        self.narrow
    }

    /// Stops every consumer (graceful shutdown); received deliveries are still handed out.
    pub async fn cancel(&mut self) -> Result<(), lapin::Error> {
        if let Some(switch) = self.switching.take() {
            if let Ok(c) = switch.await {
                self.current = Some(c);
            }
        }
        if let Some(c) = &self.current {
            self.channel
                .basic_cancel(c.tag(), BasicCancelOptions::default())
                .await?;
        }
        Ok(())
    }

    fn switch(&mut self, narrow: bool) {
        let Some(old) = self.current.take() else {
            return;
        };
        let (channel, queue) = (self.channel.clone(), self.queue.clone());
        let prefetch = if narrow {
            self.prefetch.narrow
        } else {
            self.prefetch.wide
        };
        let tag = old.tag();
        self.draining.push(old);
        self.narrow = narrow;
        self.small_in_a_row = 0;
        tracing::info!(prefetch, narrow, "intake prefetch changes");
        self.switching = Some(
            async move {
                channel
                    .basic_cancel(tag, BasicCancelOptions::default())
                    .await?;
                consume(&channel, &queue, prefetch).await
            }
            .boxed(),
        );
    }

    /// Notes a delivery's size and switches the prefetch when it calls for it.
    fn observe(&mut self, size: usize) {
        if size >= self.prefetch.large {
            self.small_in_a_row = 0;
            if !self.narrow && self.switching.is_none() {
                self.switch(true);
            }
        } else if self.narrow {
            self.small_in_a_row += 1;
            if self.small_in_a_row >= usize::from(self.prefetch.wide) && self.switching.is_none() {
                self.switch(false);
            }
        }
    }

    fn seen(&mut self, item: Result<Delivery, lapin::Error>) -> Result<Delivery, lapin::Error> {
        if let Ok(d) = &item {
            self.observe(d.data.len());
        }
        item
    }
}

impl Stream for Intake {
    type Item = Result<Delivery, lapin::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        // deliveries of cancelled consumers first: they arrived earlier
        let mut i = 0;
        while i < this.draining.len() {
            match this.draining[i].poll_next_unpin(cx) {
                Poll::Ready(Some(item)) => return Poll::Ready(Some(this.seen(item))),
                Poll::Ready(None) => {
                    this.draining.remove(i);
                }
                Poll::Pending => i += 1,
            }
        }
        if let Some(switch) = this.switching.as_mut() {
            match switch.poll_unpin(cx) {
                Poll::Ready(Ok(c)) => {
                    this.switching = None;
                    this.current = Some(c);
                }
                Poll::Ready(Err(e)) => {
                    this.switching = None;
                    return Poll::Ready(Some(Err(e)));
                }
                Poll::Pending => {}
            }
        }
        if let Some(c) = this.current.as_mut() {
            match c.poll_next_unpin(cx) {
                Poll::Ready(Some(item)) => return Poll::Ready(Some(this.seen(item))),
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => {}
            }
        }
        Poll::Pending
    }
}

/// Gives freed memory back to the system (glibc keeps it in its arenas otherwise, and the
/// resident size stays at the peak). A no-op elsewhere.
pub fn release_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists; it takes no pointers.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_narrow_prefetch_fits_the_budget() {
        let mib = 1 << 20;
        let p = Prefetch::new(64, 64 * mib, 25 * mib);
        assert_eq!((p.wide, p.narrow, p.large), (64, 2, mib));
        // small messages only: the wide prefetch fits, never narrowed
        let p = Prefetch::new(64, 64 * mib, mib);
        assert_eq!((p.narrow, p.large), (64, usize::MAX));
        assert_eq!(Prefetch::new(4, 1, 25 * mib).narrow, 1);
    }

    #[tokio::test]
    async fn the_budget_admits_what_fits_and_a_huge_batch_alone() {
        let b = Budget::new(10 * 1024);
        let a = b.take(6 * 1024).await;
        assert_eq!(b.available_kib(), 4);
        assert!(
            b.take(6 * 1024).now_or_never().is_none(),
            "does not fit yet"
        );
        drop(a);
        let huge = b.take(1 << 30).await;
        assert_eq!(b.available_kib(), 0, "larger than the budget: alone");
        drop(huge);
    }
}
