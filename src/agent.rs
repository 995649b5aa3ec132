//! The loop: wait for the tick (or a retry), collect, encode, export; one failure never
//! stops the rest.
//!
//! Reads: the `Config`, the `Source`, the schedule. Emits: one request per tick through the
//! chosen exporter (several when the tick is larger than `--max-request-size`), retries of the backlog between ticks, the shutdown drain after
//! SIGTERM/SIGINT, and the process exit code: 0 normal stop (signal, closed stdout,
//! `--once` delivered, a second stop signal), 1 `--once` not delivered or a shutdown that
//! overran `--shutdown-timeout` plus one attempt (ended by the watchdog), 2 a start-up
//! failure here (signal handlers, spool directory).

use crate::config::{Config, ExporterKind};
use crate::cycle::Collection;
use crate::export::Outcome;
use crate::export::delivery::{Delivery, DeliveryOptions};
use crate::export::http::HttpExporter;
use crate::export::queue::Queue;
use crate::export::spool::Spool;
use crate::export::stdout::StdoutExporter;
use crate::otlp;
use crate::otlp::split::{PART_TARGET, Plan, Span};
use crate::report::Once;
use crate::schedule::{Schedule, Wake, wall_clock_unix_nano};
use crate::source::Source;
use crate::telemetry::{DropReason, Telemetry};
use std::rc::Rc;
use std::time::{Duration, Instant};

/// Where encoded requests go.
enum Sink {
    Otlp(Box<Delivery>),
    /// OTLP/JSON lines, or text for people when `text`.
    Stdout {
        out: StdoutExporter,
        text: bool,
    },
}

/// Runs until a stop signal (or once); returns the exit code.
pub fn run(config: &Config, src: Source) -> u8 {
    let mut schedule = match Schedule::new(config.interval) {
        Ok(schedule) => schedule,
        Err(e) => {
            log::error!("cannot install signal handlers: {e}");
            return 2;
        }
    };
    if let Err(e) = schedule.watchdog(shutdown_limit(config)) {
        log::error!("cannot start the shutdown watchdog: {e}");
        return 2;
    }
    let telemetry = Telemetry::shared(wall_clock_unix_nano());
    let mut sink = match config.exporter {
        ExporterKind::Otlp => match delivery(config, &telemetry, schedule.stop_flag()) {
            Ok(delivery) => Sink::Otlp(Box::new(delivery)),
            Err(e) => {
                eprintln!("sysotlp: {e}");
                return 2;
            }
        },
        ExporterKind::Stdout | ExporterKind::Text => Sink::Stdout {
            out: StdoutExporter::default(),
            text: config.exporter == ExporterKind::Text,
        },
        ExporterKind::None => return idle(config, &mut schedule),
    };
    let mut collection = Collection::new(config, src, Rc::clone(&telemetry));
    let (mut body, mut line) = (Vec::new(), String::new());
    // A tick larger than --max-request-size goes as several requests (otlp::split).
    let mut plan = Plan::default();
    let max_request_size = usize::try_from(config.delivery.max_request_size).unwrap_or(usize::MAX);
    // Parts are planned by protobuf size; OTLP/JSON of the same points is 2.4-2.7 times
    // larger on our fixtures and at most 4 times (a point without attributes), so JSON
    // parts are planned for a quarter of the limit.
    let json = config.exporter == ExporterKind::Otlp && config.otlp.json;
    let plan_limit = if json {
        max_request_size / JSON_EXPANSION
    } else {
        max_request_size
    };
    let mut too_large = Once::default();
    log::info!(
        "sysotlp {} starting: {}",
        env!("CARGO_PKG_VERSION"),
        config.describe()
    );

    loop {
        let retry_at = match &sink {
            Sink::Otlp(delivery) => delivery.retry_at(),
            Sink::Stdout { .. } => None,
        };
        match schedule.wait(retry_at) {
            Wake::Stop => {
                log::info!("stopping on signal");
                if let Sink::Otlp(delivery) = &mut sink {
                    let deadline = far(config.delivery.shutdown_timeout);
                    delivery.shutdown(deadline, &mut |until| schedule.sleep_until(until));
                }
                return 0;
            }
            Wake::Retry => {
                if let Sink::Otlp(delivery) = &mut sink {
                    delivery.drain(send_deadline(config, &schedule));
                }
                continue;
            }
            Wake::Tick => {}
        }
        let started = Instant::now();
        let now_unix_nano = collection
            .source()
            .fixed_now_unix_nano()
            .unwrap_or_else(wall_clock_unix_nano);
        let builder = collection.run(now_unix_nano);
        let points = builder.point_count();
        if points == 0 {
            log::warn!("no data points were collected this tick");
            if config.once {
                return 1;
            }
            continue;
        }
        let collected = started.elapsed();
        // Age limits use the wall time the batch was made, not its data time (a fixture's
        // fixed clock).
        let created = wall_clock_unix_nano();
        // The tick's batches: the builder's request, then, once it is written or queued,
        // the further ones (`Collection::run_more`) in the same builder.
        let (mut dropped, mut failed) = (0, false);
        let mut once_parts = Vec::new();
        // Text is written whole, not in parts: nothing to cut, nothing dropped.
        let text = matches!(sink, Sink::Stdout { text: true, .. });
        let mut next = Some(builder);
        while let Some(builder) = next {
            if !text {
                plan.make_within(builder, PART_TARGET.min(plan_limit), plan_limit);
                dropped += plan.dropped;
            }
            match &mut sink {
                Sink::Stdout {
                    out: stdout,
                    text: true,
                } => {
                    // Each batch without its blank line; the tick's ends below.
                    otlp::text::write(builder, &mut line);
                    while line.ends_with('\n') {
                        line.pop();
                    }
                    log::debug!(
                        "tick: {} of {points} points, {} bytes of text, collected in {} µs",
                        builder.point_count(),
                        line.len(),
                        collected.as_micros()
                    );
                    let batch_points = u32::try_from(builder.point_count()).unwrap_or(u32::MAX);
                    match stdout.write_line(&line, batch_points) {
                        Outcome::Closed => return 0,
                        Outcome::Failed { .. } => failed = true,
                        _ => {}
                    }
                }
                Sink::Stdout { out: stdout, .. } => {
                    for spans in plan.parts() {
                        otlp::json::write_part(builder, spans, &mut line);
                        let part_points = points_in(spans);
                        log::debug!(
                            "tick: {part_points} of {points} points, {} bytes of JSON, collected in {} µs",
                            line.len(),
                            collected.as_micros()
                        );
                        match stdout.write_line(&line, part_points) {
                            Outcome::Closed => return 0,
                            Outcome::Failed { .. } => failed = true,
                            _ => {}
                        }
                    }
                }
                Sink::Otlp(_) if config.once => {
                    for spans in plan.parts() {
                        write_body(builder, spans, json, &mut body, &mut line);
                        once_parts.push((std::mem::take(&mut body), points_in(spans)));
                    }
                }
                Sink::Otlp(delivery) => {
                    for spans in plan.parts() {
                        write_body(builder, spans, json, &mut body, &mut line);
                        let part_points = points_in(spans);
                        delivery.submit(
                            &body,
                            part_points,
                            created,
                            send_deadline(config, &schedule),
                        );
                        log::debug!(
                            "tick: {part_points} of {points} points, {} bytes, collected in {} µs, sent in {} ms",
                            body.len(),
                            collected.as_micros(),
                            (started.elapsed() - collected).as_millis()
                        );
                    }
                }
            }
            next = collection.run_more();
        }
        if dropped > 0 {
            if too_large.first() {
                log::error!(
                    "{dropped} data points dropped: each is larger than --max-request-size {max_request_size} on its own (with its resource and metric); raise it"
                );
            }
            let mut telemetry = telemetry.borrow_mut();
            telemetry
                .exporter
                .drop_points(DropReason::TooLarge, dropped);
        }
        match &mut sink {
            Sink::Stdout {
                out: stdout,
                text: true,
            } => {
                // The blank line that ends a tick.
                if let Outcome::Closed = stdout.write_line("", 0) {
                    return 0;
                }
            }
            Sink::Otlp(delivery) if config.once => {
                let delivered = once(delivery, once_parts.into_iter(), created, config);
                return u8::from(!delivered || dropped > 0);
            }
            _ => {}
        }
        if config.once {
            return u8::from(failed || dropped > 0);
        }
    }
}

/// The OTLP delivery path: exporter, queue (with the spool when configured).
fn delivery(
    config: &Config,
    telemetry: &std::rc::Rc<std::cell::RefCell<Telemetry>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> Result<Delivery, String> {
    let d = &config.delivery;
    let spool = match &d.spool_dir {
        Some(dir) => Some(Spool::open(dir).map_err(|e| e.to_string())?),
        None => None,
    };
    let queue = Queue::new(
        usize::try_from(d.queue_size).unwrap_or(usize::MAX),
        spool,
        d.spool_size,
    );
    let options = DeliveryOptions {
        gzip: d.gzip,
        json: config.otlp.json,
        max_request_size: usize::try_from(d.max_request_size).unwrap_or(usize::MAX),
        max_age: d.max_age,
        // Do not start an attempt that cannot finish: min(1 s, interval/10, timeout), and at
        // most half the export budget (else a budget measured from "now" would never fit).
        min_attempt: [
            Duration::from_secs(1),
            config.interval / 10,
            config.otlp.timeout.unwrap_or(Duration::MAX),
            d.export_timeout.map_or(Duration::MAX, |budget| budget / 2),
        ]
        .into_iter()
        .min()
        .unwrap_or_default(),
    };
    Ok(Delivery::new(
        HttpExporter::new(&config.otlp),
        queue,
        options,
        std::rc::Rc::clone(telemetry),
        stop,
    ))
}

/// The end of this tick's sending: `--export-timeout` from now, never past the next tick.
fn send_deadline(config: &Config, schedule: &Schedule) -> Instant {
    let next_tick = schedule.deadline();
    match config.delivery.export_timeout {
        Some(budget) => Instant::now()
            .checked_add(budget)
            .map_or(next_tick, |end| end.min(next_tick)),
        None => next_tick,
    }
}

/// The data points of one part.
fn points_in(spans: &[Span]) -> u32 {
    let points: usize = spans.iter().map(|span| span.points.len()).sum();
    u32::try_from(points).unwrap_or(u32::MAX)
}

/// `--once`: replay the spool, send this tick's requests (bodies and their points), one
/// attempt each, no backoff. True if every one was acknowledged; the others are spooled
/// (if configured).
fn once(
    delivery: &mut Delivery,
    parts: impl Iterator<Item = (Vec<u8>, u32)>,
    created_unix_nano: u64,
    config: &Config,
) -> bool {
    let deadline = far(config.delivery.export_timeout.unwrap_or(config.interval));
    delivery.drain_once(deadline);
    let mut delivered = true;
    for (body, points) in parts {
        let outcome = if delivery.is_idle() {
            delivery.submit(&body, points, created_unix_nano, deadline)
        } else {
            delivery.submit(&body, points, created_unix_nano, Instant::now());
            None
        };
        if !matches!(outcome, Some(Outcome::Sent { .. })) {
            if let Some(Outcome::Failed { detail, .. } | Outcome::Retry { detail, .. }) = outcome {
                log::error!("export failed, {points} data points not delivered: {detail}");
            }
            delivered = false;
        }
    }
    if !delivered {
        delivery.shutdown(Instant::now(), &mut |_| false);
    }
    delivered
}

/// The longest one attempt may still take after a stop signal, when `--timeout` is 0 ("until
/// the next tick") or longer.
const ATTEMPT_BOUND: Duration = Duration::from_secs(10);

/// How long after a stop signal the process ends whatever it is blocked on: the drain's
/// `--shutdown-timeout`, plus one attempt in flight (`--timeout`, at most [`ATTEMPT_BOUND`]).
fn shutdown_limit(config: &Config) -> Duration {
    let attempt = config
        .otlp
        .timeout
        .map_or(ATTEMPT_BOUND, |t| t.min(ATTEMPT_BOUND));
    config.delivery.shutdown_timeout.saturating_add(attempt)
}

/// Now plus `budget`, saturating at about a year (config caps durations; this never panics).
fn far(budget: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(budget)
        .or_else(|| now.checked_add(Duration::from_secs(365 * 86_400)))
        .unwrap_or(now)
}

/// `--exporter none` / `OTEL_SDK_DISABLED`: collect nothing; wait for a signal (an exit
/// would only be respawned by the service manager).
fn idle(config: &Config, schedule: &mut Schedule) -> u8 {
    if config.once {
        return 0;
    }
    log::info!("exporter none: not collecting; waiting for a stop signal");
    while schedule.wait(None) != Wake::Stop {}
    0
}

/// How much larger OTLP/JSON may be than protobuf for the same points.
const JSON_EXPANSION: usize = 4;

/// The request body of one part: protobuf, or OTLP/JSON (`--protocol http/json`, written
/// into `line` first; both buffers are reused).
fn write_body(
    builder: &otlp::Builder,
    spans: &[otlp::split::Span],
    json: bool,
    body: &mut Vec<u8>,
    line: &mut String,
) {
    if json {
        otlp::json::write_part(builder, spans, line);
        body.clear();
        body.extend_from_slice(line.as_bytes());
    } else {
        otlp::encode::encode_part(builder, spans, body);
    }
}
