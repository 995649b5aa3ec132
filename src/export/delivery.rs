//! Delivery that never loses data: send now, or queue and retry, oldest first.
//!
//! Reads: each tick's encoded request; `Outcome`s of attempts; the clock.
//! Emits: HTTP attempts, the backlog (`Queue`, optionally spooled), retry times for the loop
//! to wake at, self-metric counters (`Telemetry`), and failures to `report` (exporter spec
//! §3.1, §5.2), keyed `export` and classed by error type: the first retryable failure of an
//! outage is one WARN, the first dropped batch of a kind one ERROR, repeats are counted and
//! summarised (each attempt is a DEBUG line), the recovery is one INFO with the count of
//! replayed batches.
//! A tick's request is sent at once when nothing is queued and no backoff is pending;
//! otherwise it joins the backlog. The backlog drains head first, strictly FIFO
//! (Prometheus-style stores reject samples older than the newest), within the time left
//! before the next tick, so collection is never delayed by retries.

use super::backoff::{Backoff, MAX_RETRY_AFTER};
use super::gzip::Gzip;
use super::http::HttpExporter;
use super::queue::{Dropped, Queue};
use super::{BodyFormat, ErrorType, ExportFailure, Outcome};
use crate::report::Report;
use crate::schedule::wall_clock_unix_nano;
use crate::telemetry::{DropReason, RequestOutcome, Telemetry};
use crate::units;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The `report` source of every export failure.
const EXPORT: &str = "export";

/// Settings of the delivery path.
#[derive(Debug, Clone)]
pub struct DeliveryOptions {
    pub gzip: bool,
    /// Bodies are OTLP/JSON (`--protocol http/json`), not protobuf.
    pub json: bool,
    /// Largest request (before compression) we send; larger ones are dropped.
    pub max_request_size: usize,
    /// Batches older than this are dropped (wall time).
    pub max_age: Duration,
    /// Do not start an attempt with less time than this left before the deadline.
    pub min_attempt: Duration,
}

/// The delivery path of the OTLP exporter.
pub struct Delivery {
    http: HttpExporter,
    queue: Queue,
    backoff: Backoff,
    retry_at: Option<Instant>,
    gzip: Option<Gzip>,
    compressed: Vec<u8>,
    options: DeliveryOptions,
    telemetry: Rc<RefCell<Telemetry>>,
    report: Report<ExportFailure>,
    /// Batches delivered from the backlog since the outage began.
    replayed: u64,
    reported: Dropped,
    /// Set by SIGTERM/SIGINT: a drain stops between attempts so the shutdown starts at once.
    stop: Arc<AtomicBool>,
    shutting_down: bool,
    /// `--once`: nothing is retried in this process, and failures say so.
    once: bool,
}

impl Delivery {
    pub fn new(
        http: HttpExporter,
        queue: Queue,
        options: DeliveryOptions,
        telemetry: Rc<RefCell<Telemetry>>,
        stop: Arc<AtomicBool>,
    ) -> Self {
        Delivery {
            http,
            queue,
            backoff: Backoff::new(),
            retry_at: None,
            gzip: options.gzip.then(Gzip::new),
            compressed: Vec::new(),
            options,
            telemetry,
            report: Report::new(""),
            replayed: 0,
            reported: Dropped::default(),
            stop,
            shutting_down: false,
            once: false,
        }
    }

    /// When the loop should wake to retry the backlog; `None` when nothing is queued.
    pub fn retry_at(&self) -> Option<Instant> {
        if self.queue.is_empty() {
            None
        } else {
            Some(self.retry_at.unwrap_or_else(Instant::now))
        }
    }

    pub fn is_idle(&self) -> bool {
        self.queue.is_empty()
    }

    /// A new tick's request of `points` data points; attempts what is due before `deadline`.
    /// Returns the outcome of sending this request at once, or `None` if it was queued.
    pub fn submit(
        &mut self,
        body: &[u8],
        points: u32,
        created_unix_nano: u64,
        deadline: Instant,
    ) -> Option<Outcome> {
        if body.len() > self.options.max_request_size {
            log::error!(
                "dropping a request of {} bytes ({points} data points): larger than --max-request-size {}",
                body.len(),
                self.options.max_request_size
            );
            self.telemetry
                .borrow_mut()
                .exporter
                .drop_points(DropReason::TooLarge, u64::from(points));
            return Some(Outcome::Failed {
                error: ErrorType::Status(413),
                detail: "request too large".into(),
            });
        }
        let gzip = match &mut self.gzip {
            Some(gz) => gz.compress(body, &mut self.compressed),
            None => false,
        };
        let wire: &[u8] = if gzip { &self.compressed } else { body };
        let format = BodyFormat {
            json: self.options.json,
            gzip,
        };
        let now = Instant::now();
        let mut outcome = None;
        if self.queue.is_empty() && self.retry_at.is_none_or(|at| at <= now) {
            let result = attempt(
                &mut self.http,
                &self.telemetry,
                wire,
                format,
                points,
                deadline.saturating_duration_since(now),
            );
            match &result {
                Outcome::Sent { .. } => self.recovered(),
                Outcome::Retry { .. } => {
                    self.queue
                        .push(wire, format, points, created_unix_nano, now);
                    self.schedule_retry(&result, Instant::now());
                }
                Outcome::Failed { error, detail } => self.dropped(points, *error, detail),
                Outcome::Closed => {}
            }
            outcome = Some(result);
        } else {
            self.queue
                .push(wire, format, points, created_unix_nano, now);
        }
        self.drain(deadline);
        outcome
    }

    /// Sends queued batches, oldest first, while they are due and time is left before
    /// `deadline`; stops at the first retryable failure.
    pub fn drain(&mut self, deadline: Instant) {
        loop {
            let now = Instant::now();
            if self.queue.is_empty() || self.retry_at.is_some_and(|at| at > now) {
                break;
            }
            if self.stop.load(Ordering::SeqCst) && !self.shutting_down {
                // SIGTERM: the loop moves on to the shutdown drain at once.
                break;
            }
            let left = deadline.saturating_duration_since(now);
            if left.is_zero() || left < self.options.min_attempt {
                // Not enough time before the deadline: wait for it (the next tick) rather
                // than waking again at once.
                self.retry_at = Some(self.retry_at.map_or(deadline, |at| at.max(deadline)));
                break;
            }
            self.queue
                .expire(wall_clock_unix_nano(), self.options.max_age);
            let head = match self.queue.head() {
                Ok(Some(head)) => head,
                Ok(None) => break,
                Err(why) => {
                    // The spool file could not be read now (EIO, EMFILE): it stays; retry later.
                    log::warn!("reading the spooled batch failed ({why}); retrying later");
                    self.retry_at = Some(now + self.backoff.next_delay());
                    break;
                }
            };
            let (entry, body) = head;
            let result = attempt(
                &mut self.http,
                &self.telemetry,
                body,
                entry.format,
                entry.points,
                left,
            );
            match &result {
                Outcome::Sent { .. } => {
                    self.queue.pop();
                    self.replayed += 1;
                    self.recovered();
                }
                Outcome::Failed { error, detail } => {
                    let (error, detail) = (*error, detail.clone());
                    self.queue.pop();
                    self.backoff.reset();
                    self.retry_at = None;
                    self.dropped(entry.points, error, &detail);
                }
                Outcome::Retry { .. } => {
                    // Backoff and Retry-After count from the end of the attempt.
                    self.schedule_retry(&result, Instant::now());
                    break;
                }
                Outcome::Closed => break,
            }
        }
        self.update_gauges();
    }

    /// `--once`: one attempt per queued batch (spool replay) and none of the backoff; true if
    /// the backlog is empty afterwards.
    pub fn drain_once(&mut self, deadline: Instant) -> bool {
        self.once = true;
        self.retry_at = None;
        self.options.min_attempt = Duration::ZERO;
        while !self.queue.is_empty() && Instant::now() < deadline {
            let before = self.queue.len();
            self.retry_at = None;
            self.drain(deadline);
            if self.queue.len() == before {
                break;
            }
        }
        self.queue.is_empty()
    }

    /// After a stop signal: keep draining until `deadline` (waiting out retry delays with
    /// `wait`, which returns false if a second signal says to hurry), then keep what is left
    /// in the spool or report it lost.
    pub fn shutdown(&mut self, deadline: Instant, wait: &mut dyn FnMut(Instant) -> bool) {
        self.shutting_down = true;
        while !self.queue.is_empty() && Instant::now() < deadline {
            if let Some(at) = self.retry_at.filter(|at| *at > Instant::now()) {
                if at >= deadline || !wait(at) {
                    break;
                }
            }
            let before = (self.queue.len(), self.retry_at);
            self.drain(deadline);
            if (self.queue.len(), self.retry_at) == before {
                break;
            }
        }
        let lost = self.queue.persist();
        if lost > 0 {
            let why = if self.queue.spool_bytes().is_some() {
                "the spool refused them (disk full or read-only?)"
            } else {
                "no spool to keep them (--spool-dir)"
            };
            log::error!("stopping with {lost} data points undelivered: {why}");
            self.telemetry
                .borrow_mut()
                .exporter
                .drop_points(DropReason::Shutdown, lost);
        } else if !self.queue.is_empty() {
            log::info!(
                "stopping: {} batches kept in the spool for the next start",
                self.queue.len()
            );
        }
    }

    fn schedule_retry(&mut self, result: &Outcome, now: Instant) {
        let Outcome::Retry {
            error,
            retry_after,
            detail,
        } = result
        else {
            return;
        };
        let delay = match retry_after {
            Some(delay) => {
                if *delay == MAX_RETRY_AFTER {
                    log::info!("Retry-After capped at {}", units::display(MAX_RETRY_AFTER));
                }
                *delay
            }
            None => self.backoff.next_delay(),
        };
        self.retry_at = Some(now + delay);
        let failure = ExportFailure::Retry {
            error: *error,
            detail: detail.clone(),
            delay: Some(delay).filter(|_| !self.once),
            queued: self.queue.len(),
        };
        if !self.report.failed(log::Level::Warn, EXPORT, failure, now) {
            log::debug!(
                "export attempt failed: {detail}; retrying in {:.1} s ({} queued)",
                delay.as_secs_f64(),
                self.queue.len()
            );
        }
    }

    fn recovered(&mut self) {
        self.backoff.reset();
        self.retry_at = None;
        if self.queue.is_empty() && self.report.is_failing(EXPORT) {
            let delivered = format!("; {} queued batches delivered", self.replayed);
            self.report.succeeded(EXPORT, Instant::now(), &delivered);
            self.replayed = 0;
        }
    }

    fn dropped(&mut self, points: u32, error: ErrorType, detail: &str) {
        if self.queue.is_empty() {
            self.backoff.reset();
        }
        let failure = ExportFailure::Dropped {
            error,
            detail: detail.to_string(),
            points,
        };
        self.report
            .failed(log::Level::Error, EXPORT, failure, Instant::now());
        self.telemetry
            .borrow_mut()
            .exporter
            .drop_points(DropReason::NonRetryable, u64::from(points));
    }

    /// Copies queue sizes and the queue's own drops into the self-metrics.
    fn update_gauges(&mut self) {
        let dropped = self.queue.dropped();
        let mut telemetry = self.telemetry.borrow_mut();
        let stats = &mut telemetry.exporter;
        // The queue's totals only grow; saturating all the same, a miscount must not panic.
        stats.drop_points(
            DropReason::QueueFull,
            dropped.queue_full.saturating_sub(self.reported.queue_full),
        );
        stats.drop_points(
            DropReason::MaxAge,
            dropped.max_age.saturating_sub(self.reported.max_age),
        );
        stats.drop_points(
            DropReason::Corrupt,
            dropped.corrupt.saturating_sub(self.reported.corrupt),
        );
        self.reported = dropped;
        stats.reported = true;
        stats.queue_batches = self.queue.len() as u64;
        stats.memory_bytes = self.queue.memory_bytes() as u64;
        stats.memory_capacity = self.queue.capacity() as u64;
        stats.spool = self.queue.spool_bytes();
        stats.oldest_batch_age = self.queue.oldest_created().map_or(0.0, |created| {
            wall_clock_unix_nano().saturating_sub(created) as f64 / 1e9
        });
    }
}

/// One POST, with its effect on the self-metrics.
fn attempt(
    http: &mut HttpExporter,
    telemetry: &Rc<RefCell<Telemetry>>,
    body: &[u8],
    format: BodyFormat,
    points: u32,
    budget: Duration,
) -> Outcome {
    let started = Instant::now();
    let outcome = http.send(body, format, budget);
    let mut telemetry = telemetry.borrow_mut();
    let stats = &mut telemetry.exporter;
    stats.send_duration = started.elapsed().as_secs_f64();
    let points = u64::from(points);
    match &outcome {
        Outcome::Sent { rejected } => {
            stats.count_request(RequestOutcome::Sent);
            stats.sent_points += points.saturating_sub(*rejected);
            stats.drop_points(DropReason::Rejected, (*rejected).min(points));
        }
        Outcome::Retry { error, .. } => {
            stats.count_request(RequestOutcome::Retried);
            stats.fail_points(*error, points);
        }
        Outcome::Failed { error, .. } => {
            stats.count_request(RequestOutcome::Failed);
            stats.fail_points(*error, points);
        }
        Outcome::Closed => {}
    }
    outcome
}
