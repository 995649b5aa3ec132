//! The one integration-test binary (STYLE.md §4): every module runs the real `sysotlp`
//! binary or decodes its output.

mod backends;
mod boards;
mod cli;
mod container;
mod delivery;
mod delta;
mod disk;
mod export;
mod filesystem;
mod golden;
mod hardening;
mod interop;
mod live;
mod network;
mod paging_processes;
mod pressure_links;
mod process;
mod quirks;
mod sock_diag;
mod textfile;
mod tls;
mod two_tick;
mod util;
mod whole_machine;
