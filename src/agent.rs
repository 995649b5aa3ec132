//! The loop: wait for the tick, collect, encode, export; one failure never stops the rest.
//!
//! Reads: the `Config`, the `Source`, the schedule. Emits: one request per tick through
//! the chosen exporter, log lines (collector failures rate-limited by `report`; each
//! undelivered request one ERROR, since its data is dropped), and the process exit code:
//! 0 normal stop (signal, closed stdout, `--once` delivered), 1 `--once` not delivered,
//! 2 the signal handlers could not be installed.

use crate::boot::{self, BootClock};
use crate::collect::{self, Collect};
use crate::config::{Config, ExporterKind};
use crate::export::Outcome;
use crate::export::http::HttpExporter;
use crate::export::stdout::StdoutExporter;
use crate::otlp::{self, Builder};
use crate::report::Report;
use crate::resource;
use crate::schedule::{Schedule, Tick, Wake};
use crate::source::Source;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Where encoded requests go.
enum Sink {
    Otlp(HttpExporter),
    Stdout(StdoutExporter),
}

/// Everything one tick needs, kept across ticks so buffers are reused.
struct Agent {
    src: Source,
    collectors: Vec<Box<dyn Collect>>,
    builder: Builder,
    boot: BootClock,
    report: Report,
    sink: Sink,
    body: Vec<u8>,
    line: String,
    cycle: u64,
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
    let attributes = resource::merge(resource::detect(&src), &config.resource);
    let mut agent = Agent {
        collectors: collect::registry(&src, config),
        builder: Builder::new(&attributes),
        src,
        boot: BootClock::default(),
        report: Report::default(),
        sink,
        body: Vec::new(),
        line: String::new(),
        cycle: 0,
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
                    agent.builder.point_count()
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
        self.cycle += 1;
        let started = Instant::now();
        self.src.begin_cycle();
        let now_unix_nano = self
            .src
            .fixed_now_unix_nano()
            .unwrap_or_else(wall_clock_unix_nano);
        let btime = self
            .src
            .stat()
            .ok()
            .and_then(|stat| boot::parse_btime(&stat));
        let tick = Tick {
            now_unix_nano,
            boot_unix_nano: self.boot.update(btime, now_unix_nano),
            cycle: self.cycle,
        };

        self.builder.begin(tick.now_unix_nano, tick.boot_unix_nano);
        for collector in &mut self.collectors {
            match collector.collect(&self.src, &tick, &mut self.builder) {
                Ok(()) => self.report.succeeded(collector.name(), started),
                Err(e) => self.report.failed(collector.name(), e, started),
            }
        }
        let points = self.builder.point_count();
        if points == 0 {
            return Outcome::Failed("no data points were collected".to_string());
        }
        let collected = started.elapsed();

        let outcome = match &mut self.sink {
            Sink::Otlp(http) => {
                otlp::encode::encode(&self.builder, &mut self.body);
                http.send(&self.body, budget)
            }
            Sink::Stdout(stdout) => {
                otlp::json::write(&self.builder, &mut self.line);
                stdout.write_line(&self.line)
            }
        };
        log::debug!(
            "tick {}: {points} points, {} bytes, collected in {} µs, exported in {} ms",
            self.cycle,
            match self.sink {
                Sink::Otlp(_) => self.body.len(),
                Sink::Stdout(_) => self.line.len(),
            },
            collected.as_micros(),
            (started.elapsed() - collected).as_millis()
        );
        outcome
    }
}

fn wall_clock_unix_nano() -> u64 {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    u64::try_from(since_epoch.as_nanos()).unwrap_or(u64::MAX)
}
