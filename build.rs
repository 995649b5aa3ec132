//! Compiles the minimal OTLP `.proto` files under `proto/` into Rust with prost-build, using
//! protox as a pure-Rust protobuf compiler so no `protoc` binary is needed. Writes only to OUT_DIR.

use std::error::Error;

const PROTO_ROOT: &str = "proto";
const FILES: &[&str] = &[
    "proto/opentelemetry/proto/collector/metrics/v1/metrics_service.proto",
    "proto/google/rpc/status.proto",
];

fn main() -> Result<(), Box<dyn Error>> {
    // prost-build does not emit these itself.
    println!("cargo:rerun-if-changed={PROTO_ROOT}");
    println!("cargo:rerun-if-changed=build.rs");
    let descriptors = protox::compile(FILES, [PROTO_ROOT])?;
    prost_build::Config::new()
        .include_file("otlp_proto.rs")
        .compile_fds(descriptors)?;
    Ok(())
}
