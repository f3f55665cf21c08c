//! The embedded transport: a spool folder.
//!
//! ```text
//! <dir>/inbox/      input: *.xml, taken in name order
//! <dir>/outbox/     output: <routing key>/<identificatie>.xml
//! <dir>/rejected/   unprocessable input, each with <name>.reason.txt
//! <dir>/archive/    processed input, when archiving is on (else it is deleted)
//! ```
//!
//! Contract with whoever fills `inbox/`: write the file under another name (`*.tmp`, or a
//! dotfile) and rename it to `*.xml` when complete. As a second guard a file is taken only once
//! its size and modification time were the same in two successive scans. The file's
//! modification time is the message's receipt time.
//!
//! Crash safety: an input file is removed (or archived, or moved to `rejected/`) only after
//! [`Pipeline::handle`] returned `Ok`; a crash before that leaves it in `inbox/` and it is
//! processed again (the store recognises the redelivery). A transient failure (`Err`) leaves the
//! file where it is and the scan is retried with backoff. Output files are written to a
//! dotfile and renamed into place, so a reader of `outbox/` never sees half a message; readers
//! must ignore dotfiles.
//!
//! Order: one file at a time, in name order, and a transient failure stops the scan, so no
//! later file overtakes an earlier one — receipt order for every client (stronger than the
//! per-key order of the AMQP transport, see [`super::order`]), as long as whoever fills
//! `inbox/` names the files in receipt order and renames them into place in that order.
//!
//! One service instance per spool folder.

use super::outbox::{OutboxPublisher, Sink, SinkError};
use super::{log_outcome, message_span, reason_text, too_large, Backoff, Summary};
use crate::config::Config;
use crate::pipeline::{Handled, Incoming, Pipeline, PipelineError};
use crate::state::Outgoing;
use crate::store::OutboxRow;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

/// The folders of one spool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folders {
    pub inbox: PathBuf,
    pub outbox: PathBuf,
    pub rejected: PathBuf,
    pub archive: PathBuf,
}

impl Folders {
    pub fn new(dir: &Path) -> Folders {
        Folders {
            inbox: dir.join("inbox"),
            outbox: dir.join("outbox"),
            rejected: dir.join("rejected"),
            archive: dir.join("archive"),
        }
    }

    /// Creates the folders that do not exist yet.
    pub fn create(&self, archive: bool) -> io::Result<()> {
        std::fs::create_dir_all(&self.inbox)?;
        std::fs::create_dir_all(&self.outbox)?;
        std::fs::create_dir_all(&self.rejected)?;
        if archive {
            std::fs::create_dir_all(&self.archive)?;
        }
        Ok(())
    }
}

/// What became of one input file.
#[derive(Debug)]
pub enum FileOutcome {
    /// Stored or a duplicate: the file was removed (or archived).
    Done(Handled),
    /// Unprocessable: moved to `rejected/` (this path) with a reason file beside it.
    Rejected { handled: Handled, moved_to: PathBuf },
    /// Transient failure: the file stays in `inbox/`.
    Retry(PipelineError),
    /// The file disappeared before it could be read.
    Gone,
}

/// An input file read for judging, or what became of it without judging.
enum Taken {
    Gone,
    /// Settled already (an unusable name).
    Rejected(FileOutcome),
    /// Not judged: too large, or a receipt time out of bounds.
    Refused {
        origin: String,
        summary: Summary,
        handled: Handled,
    },
    Judge {
        incoming: Incoming,
        origin: String,
        summary: Summary,
    },
}

/// One scan's numbers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Scan {
    pub done: usize,
    pub rejected: usize,
    /// Files left for a transient failure (the scan stops at the first).
    pub retry: usize,
}

/// The intake side: scans `inbox/` and hands files to the pipeline.
pub struct Spool {
    pipeline: Arc<Pipeline>,
    folders: Folders,
    poll_interval: Duration,
    /// Most files judged in one transaction.
    batch_size: usize,
    archive: bool,
    max_message_size: usize,
    resend_duplicate_answers: bool,
    sink: Arc<SpoolOutbox>,
    wake: Arc<Notify>,
    /// Size and modification time of each candidate at the previous scan.
    seen: HashMap<PathBuf, (u64, SystemTime)>,
}

impl Spool {
    /// Creates the folders if needed.
    pub fn new(pipeline: Arc<Pipeline>, config: &Config) -> io::Result<Spool> {
        let folders = Folders::new(&config.spool.dir);
        folders.create(config.spool.archive)?;
        Ok(Spool {
            pipeline,
            sink: Arc::new(SpoolOutbox::new(folders.outbox.clone())),
            folders,
            poll_interval: config.spool.poll_interval,
            batch_size: usize::from(config.spool.batch_size.max(1)),
            archive: config.spool.archive,
            max_message_size: config.max_message_size,
            resend_duplicate_answers: config.outbox.resend_duplicate_answers,
            wake: Arc::new(Notify::new()),
            seen: HashMap::new(),
        })
    }

    pub fn folders(&self) -> &Folders {
        &self.folders
    }

    /// The outbox sink writing to this spool's `outbox/`.
    pub fn sink(&self) -> Arc<SpoolOutbox> {
        self.sink.clone()
    }

    /// Poked after every stored message, so an outbox publisher sharing it publishes at once.
    pub fn wake(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// The input files that are ready: `*.xml` (not dotfiles), regular, unchanged since the
    /// previous scan; in name order.
    pub fn ready_files(&mut self) -> io::Result<Vec<PathBuf>> {
        let mut now: HashMap<PathBuf, (u64, SystemTime)> = HashMap::new();
        for entry in std::fs::read_dir(&self.folders.inbox)? {
            let entry = entry?;
            // a name that is not UTF-8 is taken too (as its lossy form) and rejected with the
            // reason in process_file, rather than left in the inbox unseen
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || !name.to_ascii_lowercase().ends_with(".xml") {
                continue;
            }
            let Ok(meta) = entry.metadata() else { continue };
            if !meta.is_file() {
                continue;
            }
            let stamp = (meta.len(), meta.modified()?);
            now.insert(entry.path(), stamp);
        }
        let mut ready: Vec<PathBuf> = now
            .iter()
            .filter(|(p, stamp)| self.seen.get(*p) == Some(*stamp))
            .map(|(p, _)| p.clone())
            .collect();
        ready.sort();
        self.seen = now;
        Ok(ready)
    }

    /// Scans once and processes every ready file, in batches of `spool.batch_size`, stopping
    /// at the first transient failure. Stops early (between batches) when `cancel` fires.
    pub async fn poll_once(&mut self, cancel: &CancellationToken) -> io::Result<Scan> {
        let mut scan = Scan::default();
        let ready = self.ready_files()?;
        for chunk in ready.chunks(self.batch_size) {
            if cancel.is_cancelled() {
                break;
            }
            let outcomes = self.process_files(chunk).await?;
            for (path, outcome) in chunk.iter().zip(&outcomes) {
                match outcome {
                    FileOutcome::Done(_) => scan.done += 1,
                    FileOutcome::Rejected { .. } => scan.rejected += 1,
                    // still in inbox/ and still ready at the next scan
                    FileOutcome::Retry(_) => {
                        scan.retry += 1;
                        continue;
                    }
                    FileOutcome::Gone => {}
                }
                self.seen.remove(path);
            }
            if scan.retry > 0 {
                break;
            }
        }
        Ok(scan)
    }

    /// Processes one input file completely (see the module doc for the order of steps).
    /// `Err` is an I/O failure of the spool itself.
    pub async fn process_file(&self, path: &Path) -> io::Result<FileOutcome> {
        let mut outcomes = self
            .process_files(std::slice::from_ref(&path.to_path_buf()))
            .await?;
        Ok(outcomes.pop().unwrap_or(FileOutcome::Gone))
    }

    /// Processes files in the given order, judging all that can be judged in one transaction
    /// ([`Pipeline::handle_batch_in_order`]), then settles each in order. The outcomes stop at
    /// the first transient failure: that file and every later one stay in `inbox/` (so the
    /// result may be shorter than `paths`). `Err` is an I/O failure of the spool itself.
    pub async fn process_files(&self, paths: &[PathBuf]) -> io::Result<Vec<FileOutcome>> {
        let mut taken = Vec::with_capacity(paths.len());
        for path in paths {
            taken.push(self.take(path).await?);
        }
        let incomings: Vec<&Incoming> = taken
            .iter()
            .filter_map(|t| match t {
                Taken::Judge { incoming, .. } => Some(incoming),
                _ => None,
            })
            .collect();
        let mut results = if incomings.is_empty() {
            Vec::new()
        } else {
            self.pipeline.handle_batch_in_order(&incomings).await
        }
        .into_iter();
        let mut outcomes = Vec::with_capacity(taken.len());
        let mut finished = Vec::new();
        for (path, t) in paths.iter().zip(taken) {
            let (origin, summary, result) = match t {
                Taken::Gone => {
                    outcomes.push(FileOutcome::Gone);
                    continue;
                }
                Taken::Rejected(outcome) => {
                    outcomes.push(outcome);
                    continue;
                }
                Taken::Refused {
                    origin,
                    summary,
                    handled,
                } => (origin, summary, Ok(handled)),
                Taken::Judge {
                    origin, summary, ..
                } => {
                    let result = results.next().unwrap_or(Err(PipelineError::Held));
                    (origin, summary, result)
                }
            };
            let span = message_span(&origin, &summary);
            span.in_scope(|| log_outcome(&origin, &summary, &result));
            let outcome = self
                .settle_file(path, &origin, result)
                .instrument(span)
                .await?;
            let retry = matches!(outcome, FileOutcome::Retry(_));
            if matches!(outcome, FileOutcome::Done(_)) {
                finished.push(path.to_path_buf());
            }
            outcomes.push(outcome);
            if retry {
                break;
            }
        }
        self.finish_files(finished).await?;
        Ok(outcomes)
    }

    /// Archives or deletes the input files whose outcome is durable, the archive folder
    /// flushed once for all. Losing these moves in a crash loses nothing: the file is then
    /// still in `inbox/` and its redelivery is recognised.
    async fn finish_files(&self, files: Vec<PathBuf>) -> io::Result<()> {
        if files.is_empty() {
            return Ok(());
        }
        let archive = self.archive.then(|| self.folders.archive.clone());
        blocking(move || match archive {
            Some(dir) => {
                std::fs::create_dir_all(&dir)?;
                for from in &files {
                    let to = free_name(&dir, &file_name(from))?;
                    std::fs::rename(from, &to)?;
                }
                sync_dir(&dir)
            }
            None => files.iter().try_for_each(std::fs::remove_file),
        })
        .await
    }

    /// Reads one input file, or settles at once what cannot be judged (an unusable name),
    /// or refuses it (too large, receipt time out of bounds).
    async fn take(&self, path: &Path) -> io::Result<Taken> {
        let meta = match tokio::fs::metadata(path).await {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Taken::Gone),
            Err(e) => return Err(e),
        };
        if let Some(reason) = unusable_name(path) {
            let text = reason.clone();
            let (from, to) = (path.to_path_buf(), self.folders.rejected.clone());
            let moved_to = blocking(move || reject(&from, &to, &text)).await?;
            tracing::warn!(file = %moved_to.display(), "{reason}");
            return Ok(Taken::Rejected(FileOutcome::Rejected {
                handled: Handled::Unprocessable {
                    reason,
                    findings: Vec::new(),
                },
                moved_to,
            }));
        }
        let received_at: DateTime<Utc> = meta.modified()?.into();
        let origin = format!(
            "spool:{}",
            path.file_name().unwrap_or_default().to_string_lossy()
        );
        let len = usize::try_from(meta.len()).unwrap_or(usize::MAX);
        let refused = match len > self.max_message_size {
            true => Some(too_large(len, self.max_message_size)),
            // the modification time is the receipt time: bounded like an AMQP timestamp
            false => super::receipt::refuse(received_at, Utc::now()),
        };
        if let Some(handled) = refused {
            return Ok(Taken::Refused {
                origin,
                summary: Summary::default(),
                handled,
            });
        }
        let bytes = match tokio::fs::read(path).await {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Taken::Gone),
            Err(e) => return Err(e),
        };
        let summary = Summary::sniff(&bytes);
        Ok(Taken::Judge {
            incoming: Incoming {
                bytes,
                received_at,
                origin: origin.clone(),
            },
            origin,
            summary,
        })
    }

    /// What becomes of a file once its outcome is durable: rejected files are moved here;
    /// done ones are archived or deleted with their batch ([`Spool::finish_files`]).
    async fn settle_file(
        &self,
        path: &Path,
        origin: &str,
        result: Result<Handled, PipelineError>,
    ) -> io::Result<FileOutcome> {
        let handled = match result {
            Ok(h) => h,
            Err(e) => return Ok(FileOutcome::Retry(e)),
        };
        // the outcome is durable from here on: settle the file
        match &handled {
            Handled::Stored { .. } => {
                self.wake.notify_one();
            }
            Handled::Duplicate { answers, .. } => {
                if self.resend_duplicate_answers && !answers.is_empty() {
                    match self.sink.deliver_again(answers).await {
                        Ok(n) => tracing::info!(%origin, answers = n, "answers written again"),
                        Err(e) => tracing::warn!(%origin, error = %e, "answers not written again"),
                    }
                }
            }
            Handled::Unprocessable { reason, findings } => {
                let text = reason_text(reason, findings);
                let (from, to) = (path.to_path_buf(), self.folders.rejected.clone());
                let moved_to = blocking(move || reject(&from, &to, &text)).await?;
                return Ok(FileOutcome::Rejected { handled, moved_to });
            }
        }
        Ok(FileOutcome::Done(handled))
    }

    /// Scans every poll interval until cancelled; a file being processed when `cancel` fires
    /// is finished first. Transient failures back off up to 30 s between scans.
    pub async fn run(mut self, cancel: CancellationToken) -> io::Result<()> {
        let mut backoff = Backoff::new(
            self.poll_interval,
            self.poll_interval.max(Duration::from_secs(30)),
        );
        tracing::info!(inbox = %self.folders.inbox.display(), "spool intake started");
        while !cancel.is_cancelled() {
            let wait = match self.poll_once(&cancel).await {
                Ok(scan) if scan.retry > 0 => backoff.next_delay(),
                Ok(_) => {
                    backoff.reset();
                    self.poll_interval
                }
                Err(e) => {
                    tracing::error!(error = %e, "spool: cannot scan inbox");
                    backoff.next_delay()
                }
            };
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = tokio::time::sleep(wait) => {}
            }
        }
        tracing::info!("spool intake stopped");
        Ok(())
    }
}

/// Runs spool intake and its outbox publisher until `cancel` fires, then lets the intake
/// finish the file in hand and flushes the outbox (bounded by `config.shutdown_grace`).
pub async fn serve(
    pipeline: Arc<Pipeline>,
    config: &Config,
    cancel: CancellationToken,
) -> io::Result<()> {
    let spool = Spool::new(pipeline.clone(), config)?;
    let publisher = OutboxPublisher::new(
        pipeline.store().clone(),
        spool.sink(),
        config.outbox.batch_size,
        config.outbox.interval,
    )
    .with_wake(spool.wake());
    let intake_cancel = cancel.clone();
    let intake = tokio::spawn(async move { spool.run(intake_cancel).await });
    let publisher_cancel = CancellationToken::new();
    let publishing = {
        let token = publisher_cancel.clone();
        tokio::spawn(async move { publisher.run(token).await })
    };
    let mut intake = intake;
    tokio::select! {
        _ = cancel.cancelled() => {}
        // the intake only returns on cancel; anything else is a bug worth stopping for
        r = &mut intake => {
            publisher_cancel.cancel();
            let _ = publishing.await;
            return match r {
                Ok(r) => r,
                Err(join) => Err(io::Error::other(join)),
            };
        }
    }
    let grace = config.shutdown_grace;
    let deadline = tokio::time::Instant::now() + grace;
    let intake_result = match tokio::time::timeout_at(deadline, intake).await {
        Ok(Ok(r)) => r,
        Ok(Err(join)) => Err(io::Error::other(join)),
        Err(_) => {
            tracing::warn!(
                ?grace,
                "spool intake did not stop within the shutdown grace"
            );
            Ok(())
        }
    };
    // the intake has stopped: publish what it stored, then stop
    publisher_cancel.cancel();
    match tokio::time::timeout_at(deadline, publishing).await {
        Ok(Ok(Ok(()))) => {}
        Ok(Ok(Err(e))) => tracing::warn!(error = %e, "outbox flush failed"),
        Ok(Err(join)) => tracing::warn!(error = %join, "outbox publisher failed"),
        Err(_) => tracing::warn!(
            ?grace,
            "outbox flush did not finish within the shutdown grace"
        ),
    }
    intake_result
}

/// Writes outgoing messages to `outbox/<routing key>/<identificatie>.xml`, each atomically
/// (dotfile, fsync, rename, fsync the folder). When a different message already has that name
/// (two senders may use the same identification towards one receiver), the new one gets
/// `<identificatie>.<n>.xml`; an identical one counts as delivered.
#[derive(Debug, Clone)]
pub struct SpoolOutbox {
    dir: PathBuf,
}

impl SpoolOutbox {
    pub fn new(dir: PathBuf) -> SpoolOutbox {
        SpoolOutbox { dir }
    }

    /// Writes one message; returns its path.
    pub fn write(&self, message: &Outgoing) -> io::Result<PathBuf> {
        self.write_all(&[message])
            .pop()
            .unwrap_or_else(|| Err(io::Error::other("nothing written")))
    }

    /// Writes several messages, each atomically, with the disk flushes shared: every dotfile
    /// is written first, then each is flushed (the first flush commits the file system's
    /// journal for all of them, so the rest find little left to do), renamed into place, and
    /// each folder flushed once. A file a later message cannot be written for does not hold
    /// back the others; its result is the error.
    pub fn write_all(&self, messages: &[&Outgoing]) -> Vec<io::Result<PathBuf>> {
        // names chosen in this call, with their content, so two messages of one call that
        // want the same name are told apart like a stored one and a new one
        let mut chosen: HashMap<PathBuf, &[u8]> = HashMap::new();
        let mut pending: Vec<io::Result<Pending>> = Vec::with_capacity(messages.len());
        for m in messages {
            pending.push(self.stage(m, &mut chosen));
        }
        let mut folders: Vec<PathBuf> = Vec::new();
        for p in pending.iter_mut() {
            if let Ok(Pending::Staged { tmp, target, .. }) = p {
                let done = std::fs::File::open(&*tmp)
                    .and_then(|f| f.sync_all())
                    .and_then(|()| std::fs::rename(&*tmp, &*target));
                if let Err(e) = done {
                    let _ = std::fs::remove_file(&*tmp);
                    *p = Err(e);
                }
            }
        }
        for p in pending.iter().flatten() {
            if let Pending::Staged { folder, .. } = p {
                if !folders.contains(folder) {
                    folders.push(folder.clone());
                }
            }
        }
        let synced: HashMap<PathBuf, io::Result<()>> = folders
            .into_iter()
            .map(|f| {
                let r = sync_dir(&f);
                (f, r)
            })
            .collect();
        pending
            .into_iter()
            .map(|p| match p? {
                Pending::Present(path) => Ok(path),
                Pending::Staged { folder, target, .. } => match &synced[&folder] {
                    Ok(()) => Ok(target),
                    Err(e) => Err(io::Error::new(e.kind(), e.to_string())),
                },
            })
            .collect()
    }

    /// Picks the file name of one message and writes its dotfile, unflushed.
    fn stage<'a>(
        &self,
        message: &'a Outgoing,
        chosen: &mut HashMap<PathBuf, &'a [u8]>,
    ) -> io::Result<Pending> {
        let folder = self.dir.join(safe_name(&message.routing_key));
        std::fs::create_dir_all(&folder)?;
        let base = safe_name(&message.identificatie);
        let bytes = message.xml.as_bytes();
        let mut n = 0u32;
        let target = loop {
            let name = if n == 0 {
                format!("{base}.xml")
            } else {
                format!("{base}.{n}.xml")
            };
            let candidate = folder.join(name);
            if let Some(other) = chosen.get(&candidate) {
                if *other == bytes {
                    return Ok(Pending::Present(candidate));
                }
                n += 1;
                continue;
            }
            match std::fs::read(&candidate) {
                Ok(existing) if existing == bytes => return Ok(Pending::Present(candidate)),
                Ok(_) => n += 1,
                Err(e) if e.kind() == io::ErrorKind::NotFound => break candidate,
                Err(e) => return Err(e),
            }
        };
        let tmp = folder.join(format!(
            ".{}.{}.tmp",
            file_name(&target),
            std::process::id()
        ));
        let written = std::fs::File::create(&tmp).and_then(|mut f| f.write_all(bytes));
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        chosen.insert(target.clone(), bytes);
        Ok(Pending::Staged {
            folder,
            tmp,
            target,
        })
    }
}

/// One message of [`SpoolOutbox::write_all`] on its way.
enum Pending {
    /// Already there with the same content: delivered.
    Present(PathBuf),
    /// Written to `tmp`, to be flushed and renamed to `target` in `folder`.
    Staged {
        folder: PathBuf,
        tmp: PathBuf,
        target: PathBuf,
    },
}

#[async_trait]
impl Sink for SpoolOutbox {
    async fn deliver(&self, rows: &[OutboxRow]) -> Result<Vec<i64>, SinkError> {
        let this = self.clone();
        let rows = rows.to_vec();
        blocking(move || {
            let mut sent = Vec::new();
            let messages: Vec<&Outgoing> = rows.iter().map(|r| &r.message).collect();
            let written = this.write_all(&messages);
            for (row, result) in rows.iter().zip(written) {
                match result {
                    Ok(path) => {
                        tracing::info!(
                            outbox_id = row.id,
                            kind = %row.message.kind,
                            routing_key = %row.message.routing_key,
                            identificatie = %row.message.identificatie,
                            file = %path.display(),
                            "outgoing message written"
                        );
                        sent.push(row.id);
                    }
                    Err(e) => tracing::warn!(
                        outbox_id = row.id,
                        routing_key = %row.message.routing_key,
                        error = %e,
                        "outgoing message not written"
                    ),
                }
            }
            Ok(sent)
        })
        .await
        .map_err(|e| SinkError(e.to_string()))
    }

    async fn deliver_again(&self, messages: &[Outgoing]) -> Result<usize, SinkError> {
        let this = self.clone();
        let messages = messages.to_vec();
        blocking(move || {
            let mut n = 0;
            let all: Vec<&Outgoing> = messages.iter().collect();
            for (m, result) in messages.iter().zip(this.write_all(&all)) {
                match result {
                    Ok(_) => n += 1,
                    Err(e) => tracing::warn!(routing_key = %m.routing_key, error = %e, "answer not written again"),
                }
            }
            Ok(n)
        })
        .await
        .map_err(|e| SinkError(e.to_string()))
    }
}

/// Runs blocking file work off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> io::Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(io::Error::other)?
}

/// Moves an input file into `rejected/` with its reason beside it: the reason first (so a crash
/// in between leaves the input in `inbox/`, to be rejected again), then the input.
fn reject(from: &Path, rejected: &Path, reason: &str) -> io::Result<PathBuf> {
    std::fs::create_dir_all(rejected)?;
    let to = free_name(rejected, &file_name(from))?;
    let reason_path = PathBuf::from(format!("{}.reason.txt", to.display()));
    write_atomic(rejected, &reason_path, reason.as_bytes())?;
    std::fs::rename(from, &to)?;
    sync_dir(rejected)?;
    Ok(to)
}

/// Why an input file cannot be taken by its name, if so. Decision: a name that is not UTF-8
/// cannot be logged, reported or answered about faithfully, so the file is rejected (moved to
/// `rejected/` under the name with the bad bytes replaced by U+FFFD, reason beside it) instead
/// of read; the sender renames it and puts it back.
fn unusable_name(path: &Path) -> Option<String> {
    let name = path.file_name()?;
    name.to_str().is_none().then(|| {
        format!(
            "the file name {:?} is not valid UTF-8: rename the file and put it back in the inbox",
            name.to_string_lossy()
        )
    })
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "message.xml".into())
}

/// `dir/name` if free, else `dir/<stem>.<n>.<ext>` with the first free n.
fn free_name(dir: &Path, name: &str) -> io::Result<PathBuf> {
    let first = dir.join(name);
    if !first.try_exists()? {
        return Ok(first);
    }
    let (stem, ext) = match name.rfind('.') {
        Some(i) if i > 0 => (&name[..i], &name[i..]),
        _ => (name, ""),
    };
    for n in 1.. {
        let p = dir.join(format!("{stem}.{n}{ext}"));
        if !p.try_exists()? {
            return Ok(p);
        }
    }
    unreachable!("an unbounded range always yields a free name")
}

/// Writes `bytes` to a dotfile in `folder`, flushes it to disk, renames it to `target` and
/// flushes the folder.
fn write_atomic(folder: &Path, target: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = folder.join(format!(".{}.{}.tmp", file_name(target), std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, target)?;
        sync_dir(folder)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    // a folder's entries are durable only after the folder itself is flushed (POSIX)
    match std::fs::File::open(dir) {
        Ok(d) => d.sync_all().or(Ok(())),
        Err(e) => Err(e),
    }
}

/// A routing key or identification as one safe path component: anything but letters, digits,
/// `.`, `-` and `_` becomes `_`, and it never starts with a dot.
pub fn safe_name(text: &str) -> String {
    let mut s: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() || s.starts_with('.') {
        s.insert(0, '_');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_names() {
        assert_eq!(safe_name("gemeente.0513.jw306"), "gemeente.0513.jw306");
        assert_eq!(safe_name("../etc/passwd"), "_.._etc_passwd");
        assert_eq!(safe_name(""), "_");
        assert_eq!(safe_name("a b/c"), "a_b_c");
    }

    #[test]
    fn free_names_count_up() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            free_name(dir.path(), "a.xml").unwrap(),
            dir.path().join("a.xml")
        );
        std::fs::write(dir.path().join("a.xml"), "x").unwrap();
        assert_eq!(
            free_name(dir.path(), "a.xml").unwrap(),
            dir.path().join("a.1.xml")
        );
        std::fs::write(dir.path().join("a.1.xml"), "x").unwrap();
        assert_eq!(
            free_name(dir.path(), "a.xml").unwrap(),
            dir.path().join("a.2.xml")
        );
    }

    #[test]
    fn one_call_tells_its_own_messages_apart() {
        let dir = tempfile::tempdir().unwrap();
        let sink = SpoolOutbox::new(dir.path().to_path_buf());
        let m = |key: &str, xml: &str| Outgoing {
            kind: crate::MessageKind::new(crate::Standard::Ijw, 306),
            routing_key: key.into(),
            identificatie: "R1".into(),
            xml: xml.into(),
        };
        let (a, b, a2, c) = (
            m("aanbieder.1.jw306", "<a/>"),
            m("aanbieder.1.jw306", "<b/>"),
            m("aanbieder.1.jw306", "<a/>"),
            m("aanbieder.2.jw306", "<c/>"),
        );
        let paths: Vec<PathBuf> = sink
            .write_all(&[&a, &b, &a2, &c])
            .into_iter()
            .map(Result::unwrap)
            .collect();
        let folder = dir.path().join("aanbieder.1.jw306");
        assert_eq!(
            paths,
            vec![
                folder.join("R1.xml"),
                folder.join("R1.1.xml"),
                folder.join("R1.xml"),
                dir.path().join("aanbieder.2.jw306/R1.xml"),
            ]
        );
        for (p, want) in paths.iter().zip(["<a/>", "<b/>", "<a/>", "<c/>"]) {
            assert_eq!(std::fs::read_to_string(p).unwrap(), want);
        }
        let dotfiles = std::fs::read_dir(&folder)
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
            .count();
        assert_eq!(dotfiles, 0, "no temporary files left behind");
    }

    #[test]
    fn outbox_names_never_overwrite_a_different_message() {
        let dir = tempfile::tempdir().unwrap();
        let sink = SpoolOutbox::new(dir.path().to_path_buf());
        let m = |xml: &str| Outgoing {
            kind: crate::MessageKind::new(crate::Standard::Ijw, 306),
            routing_key: "aanbieder.98076541.jw306".into(),
            identificatie: "R1".into(),
            xml: xml.into(),
        };
        let a = sink.write(&m("<a/>")).unwrap();
        assert_eq!(a, dir.path().join("aanbieder.98076541.jw306/R1.xml"));
        assert_eq!(sink.write(&m("<a/>")).unwrap(), a, "identical: same file");
        let b = sink.write(&m("<b/>")).unwrap();
        assert_eq!(b, dir.path().join("aanbieder.98076541.jw306/R1.1.xml"));
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "<a/>");
        assert_eq!(std::fs::read_to_string(&b).unwrap(), "<b/>");
        let leftovers: Vec<_> = std::fs::read_dir(a.parent().unwrap())
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
            .collect();
        assert!(leftovers.is_empty(), "no temporary files left behind");
    }
}
