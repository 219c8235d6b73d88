//! `cargo xtask`: reraise's build chores, in Rust rather than shell.
//!
//! - `cargo xtask codegen [--check]`: completions and man pages from the clap
//!   definition, written to `completions/` and `man/`, or checked for staleness.
//! - `cargo xtask dist [--prefix DIR] [--destdir DIR] [--deb]`: release
//!   binaries and an install tree, and optionally a Debian package.
//! - `cargo xtask bench [--quick]`: the side-by-side benchmark with runit and s6.

// The command line's definition and the completion scripts come from the
// product's own sources, so generated files cannot drift from the binary.
#[path = "../../src/cli.rs"]
#[allow(dead_code)]
mod cli;
#[path = "../../src/completions.rs"]
mod completions;

mod bench;
mod codegen;
mod dist;
mod man;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (task, rest) = args
        .split_first()
        .map_or(("", &[][..]), |(t, r)| (t.as_str(), r));
    let result = match task {
        "codegen" => codegen::run(rest),
        "dist" => dist::run(rest),
        "bench" => bench::run(rest),
        _ => Err(format!(
            "usage: cargo xtask codegen [--check] | dist [--prefix DIR] [--destdir DIR] [--deb] | bench [--quick]{}",
            if task.is_empty() {
                String::new()
            } else {
                format!("\nunknown task: {task}")
            }
        )),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace's top directory.
pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}
