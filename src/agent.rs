//! The loop: wait for the tick, collect, encode, export; one failure never stops the rest.
//!
//! Reads: the `Config`, the `Source`, the schedule. Emits: one request per tick through
//! the chosen exporter, log lines (collector failures rate-limited by `report`; each
//! undelivered request one ERROR, since its data is dropped), and the process exit code:
//! 0 normal stop (signal, closed stdout, `--once` delivered), 1 `--once` not delivered,
//! 2 the signal handlers could not be installed.

use crate::config::{Config, ExporterKind};
use crate::cycle::Collection;
use crate::export::Outcome;
use crate::export::http::HttpExporter;
use crate::export::stdout::StdoutExporter;
use crate::otlp;
use crate::schedule::{Schedule, Wake};
use crate::source::Source;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Where encoded requests go.
enum Sink {
    Otlp(HttpExporter),
    Stdout(StdoutExporter),
}

/// Everything one tick needs, kept across ticks so buffers are reused.
struct Agent {
    collection: Collection,
    sink: Sink,
    body: Vec<u8>,
    line: String,
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
    let sink = match config.exporter {
        ExporterKind::Otlp => Sink::Otlp(HttpExporter::new(&config.otlp)),
        ExporterKind::Stdout => Sink::Stdout(StdoutExporter),
        ExporterKind::None => return idle(config, &mut schedule),
    };
    let mut agent = Agent {
        collection: Collection::new(config, src),
        sink,
        body: Vec::new(),
        line: String::new(),
    };
    log::info!(
        "sysotlp {} starting: {}",
        env!("CARGO_PKG_VERSION"),
        config.describe()
    );

    loop {
        if schedule.wait() == Wake::Stop {
            log::info!("stopping on signal");
            return 0;
        }
        let outcome = agent.tick(schedule.until_deadline());
        match (outcome, config.once) {
            (Outcome::Sent, true) | (Outcome::Closed, _) => return 0,
            (Outcome::Sent, false) => {}
            (Outcome::Failed(why), once) => {
                log::error!(
                    "export failed, {} data points dropped: {why}",
                    agent.point_count()
                );
                if once {
                    return 1;
                }
            }
        }
    }
}

/// `--exporter none` / `OTEL_SDK_DISABLED`: collect nothing; wait for a signal (an exit
/// would only be respawned by the service manager).
fn idle(config: &Config, schedule: &mut Schedule) -> u8 {
    if config.once {
        return 0;
    }
    log::info!("exporter none: not collecting; waiting for a stop signal");
    while schedule.wait() != Wake::Stop {}
    0
}

impl Agent {
    /// One cycle: collect into the builder, encode, export within `budget`.
    fn tick(&mut self, budget: Duration) -> Outcome {
        let started = Instant::now();
        let now_unix_nano = self
            .collection
            .source()
            .fixed_now_unix_nano()
            .unwrap_or_else(wall_clock_unix_nano);
        let builder = self.collection.run(now_unix_nano);
        let points = builder.point_count();
        if points == 0 {
            return Outcome::Failed("no data points were collected".to_string());
        }
        let collected = started.elapsed();
        let (outcome, bytes) = match &mut self.sink {
            Sink::Otlp(http) => {
                otlp::encode::encode(builder, &mut self.body);
                (http.send(&self.body, budget), self.body.len())
            }
            Sink::Stdout(stdout) => {
                otlp::json::write(builder, &mut self.line);
                (stdout.write_line(&self.line), self.line.len())
            }
        };
        log::debug!(
            "{points} points, {bytes} bytes, collected in {} µs, exported in {} ms",
            collected.as_micros(),
            (started.elapsed() - collected).as_millis()
        );
        outcome
    }

    fn point_count(&self) -> usize {
        self.collection.builder().point_count()
    }
}

fn wall_clock_unix_nano() -> u64 {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    u64::try_from(since_epoch.as_nanos()).unwrap_or(u64::MAX)
}
