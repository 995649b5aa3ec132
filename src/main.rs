//! The `sysotlp` binary: arguments → `Config` (exit 2 on error) → logger → `agent::run`.

use std::process::ExitCode;
use sysotlp::{agent, cli, config::Config, logging, source::Source};

fn main() -> ExitCode {
    let mut args = Vec::new();
    for arg in std::env::args_os() {
        match arg.into_string() {
            Ok(arg) => args.push(arg),
            Err(arg) => {
                eprintln!("sysotlp: argument {arg:?} is not valid UTF-8");
                return ExitCode::from(2);
            }
        }
    }
    let cli = match cli::parse(&args) {
        Ok(cli) => cli,
        Err(exit) => {
            if exit.code == 0 {
                print!("{}", exit.text);
            } else {
                eprintln!("sysotlp: {}", exit.text.trim_end());
            }
            return ExitCode::from(exit.code);
        }
    };
    if cli.version {
        println!("sysotlp {}", env!("CARGO_PKG_VERSION"));
        return ExitCode::SUCCESS;
    }
    let config = match Config::from_os_env(cli, &|name| std::env::var_os(name)) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("sysotlp: {e}");
            return ExitCode::from(2);
        }
    };
    logging::init(
        &config.log_filter,
        std::env::var_os("JOURNAL_STREAM").is_some(),
    );
    for warning in &config.warnings {
        log::warn!("{warning}");
    }
    let src = match Source::open(&config.root) {
        Ok(src) => src,
        Err(e) => {
            eprintln!("sysotlp: {e}");
            return ExitCode::from(2);
        }
    };
    if config.check {
        println!("{}", config.describe());
        return ExitCode::SUCCESS;
    }
    ExitCode::from(agent::run(&config, src))
}
