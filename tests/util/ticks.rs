//! Multi-cycle runs in one process: the collectors keep their state (counters, start times)
//! while the root switches from one fixture tree to the next (`t0/`, `t1/`, …) through a
//! symbolic link, exactly as files change under a live agent between ticks.

use super::{fixture, scratch};
use serde_json::Value;
use std::path::Path;
use sysotlp::cycle::Collection;

/// The request of each cycle, one per tree of `fixtures/<name>/<tree>`, with `flags`.
/// Each cycle's time is its tree's `now_unix_nano`.
pub fn run_ticks(name: &str, trees: &[&str], flags: &[&str]) -> Vec<Value> {
    run_ticks_encoded(name, trees, flags)
        .into_iter()
        .map(|(line, _)| serde_json::from_str(&line).expect("JSON"))
        .collect()
}

/// `run_ticks` as the exporters write each request: the OTLP/JSON line and the protobuf body.
pub fn run_ticks_encoded(name: &str, trees: &[&str], flags: &[&str]) -> Vec<(String, Vec<u8>)> {
    let dir = scratch(&format!("ticks-{name}-{}", trees.join("-")));
    let link = dir.join("root");
    let point_to = |tree: &str| {
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(fixture(name).join(tree), &link).expect("symlink root");
    };
    point_to(trees[0]);
    let mut argv: Vec<String> = vec![
        "sysotlp".into(),
        "--root-path".into(),
        link.to_string_lossy().into_owned(),
    ];
    argv.extend(flags.iter().map(|f| f.to_string()));
    let cli = sysotlp::cli::parse(&argv).expect("flags");
    let config = sysotlp::config::Config::from_cli(cli, &|_| None).expect("config");
    let src = sysotlp::source::Source::open(&link).expect("root");
    let mut collection = Collection::new(&config, src, sysotlp::telemetry::Telemetry::shared(0));
    let mut requests = Vec::new();
    for tree in trees {
        point_to(tree);
        let now = fixture_now(&fixture(name).join(tree));
        let builder = collection.run(now);
        let (mut line, mut body) = (String::new(), Vec::new());
        sysotlp::otlp::json::write(builder, &mut line);
        sysotlp::otlp::encode::encode(builder, &mut body);
        requests.push((line, body));
        // One request per tree: the fixtures hold fewer processes than one batch.
        assert!(
            collection.run_more().is_none(),
            "{name}/{tree}: a second batch"
        );
    }
    requests
}

fn fixture_now(tree: &Path) -> u64 {
    let text =
        std::fs::read_to_string(tree.join("sysotlp-fixture.json")).expect("sysotlp-fixture.json");
    let value: Value = serde_json::from_str(&text).expect("fixture JSON");
    value["now_unix_nano"]
        .as_u64()
        .expect("now_unix_nano in every tree of a multi-cycle fixture")
}
