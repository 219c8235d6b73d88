//! `cargo xtask bench [--quick]`: reraise side by side with runit (runsvdir
//! and runsv) and s6 (s6-svscan and s6-supervise), each supervising `sleep`
//! services from a scratch directory under /tmp. It measures memory, restart
//! latency, idle cost and control latency, prints one table and writes it to
//! `docs/benchmarks.md` (a `--quick` run only prints).
//!
//! Not a test: it takes a few minutes and its figures depend on the machine.
//! Every process it starts is ended by PID, also when a step fails or the
//! run is interrupted.

mod build;
mod cleanup;
mod command;
mod control;
mod doc;
mod measure;
mod phases;
mod procs;
mod report;
mod supervisors;

use std::time::{Duration, Instant};

use cleanup::Scratch;
use phases::Plan;
use report::Column;
use supervisors::Kind;

pub fn run(args: &[String]) -> Result<(), String> {
    let quick = match args {
        [] => false,
        [q] if q == "--quick" => true,
        _ => return Err("usage: cargo xtask bench [--quick]".to_owned()),
    };
    let plan = if quick {
        Plan {
            restarts: 5,
            cycles: 2,
            status_runs: 5,
            idle: Duration::from_secs(3),
        }
    } else {
        Plan {
            restarts: 20,
            cycles: 5,
            status_runs: 20,
            idle: Duration::from_secs(10),
        }
    };
    procs::catch_interrupts();
    let root = crate::project_root();
    let builds = build::both(&root)?;
    undo_cargo_run(&root);
    let mut kinds: Vec<Kind> = builds.into_iter().map(Kind::Reraise).collect();
    kinds.extend(peers());
    let mut cols: Vec<Column> = kinds.iter().map(column).collect();

    let load = doc::loadavg();
    let ticks = doc::cpu_ticks();
    let began = Instant::now();
    let scratch = Scratch::new()?;
    let mut notes = Vec::new();
    for (kind, col) in kinds.iter().zip(cols.iter_mut()) {
        let what = format!("memory with 1 service, {}", kind.label());
        attempt(&mut notes, &what, || {
            phases::single(kind, &scratch.root, col)
        })?;
    }
    let what = format!("restart latency, {} samples each", plan.restarts);
    let mut all: Vec<&mut Column> = cols.iter_mut().collect();
    attempt(&mut notes, &what, || {
        phases::restart(&kinds, &scratch.root, &plan, &mut all)
    })?;
    let what = format!("50 services, {} cycles", plan.cycles);
    let mut all: Vec<&mut Column> = cols.iter_mut().collect();
    let mut failed = Vec::new();
    attempt(&mut notes, &what, || {
        phases::fifty(&kinds, &scratch.root, &plan, &mut all, &mut failed)
    })?;
    notes.append(&mut failed);
    for (kind, col) in kinds.iter().zip(cols.iter_mut()) {
        if let Kind::Reraise(_) = kind {
            let what = format!("status of 1000 services, {}", kind.label());
            attempt(&mut notes, &what, || {
                phases::thousand(kind, &scratch.root, &plan, col)
            })?;
        }
    }
    drop(scratch);
    let busy = doc::busy_percent(ticks, doc::cpu_ticks());

    let table = report::table(&cols);
    let run = doc::Run {
        quick,
        plan: &plan,
        notes: &notes,
        took: began.elapsed(),
        load,
        busy,
    };
    let text = doc::document(&table, &run);
    println!("{text}");
    if quick {
        eprintln!("bench: a --quick run; docs/benchmarks.md left as it was");
    } else {
        let path = root.join("docs/benchmarks.md");
        std::fs::create_dir_all(root.join("docs")).map_err(|e| e.to_string())?;
        std::fs::write(&path, &text).map_err(|e| format!("{}: {e}", path.display()))?;
        eprintln!("bench: wrote {}", path.display());
    }
    Ok(())
}

/// `cargo run` prepends the target and toolchain directories to
/// LD_LIBRARY_PATH, which would make every dynamically linked program the
/// benchmark starts (sh, sleep, runsv, reraise) search them for each library.
fn undo_cargo_run(root: &std::path::Path) {
    let toolchain = std::env::var_os("CARGO")
        .map(std::path::PathBuf::from)
        .and_then(|c| Some(c.parent()?.parent()?.to_owned()));
    let Some(paths) = std::env::var_os("LD_LIBRARY_PATH") else {
        return;
    };
    let kept: Vec<_> = std::env::split_paths(&paths)
        .filter(|p| !p.starts_with(root) && toolchain.as_ref().is_none_or(|t| !p.starts_with(t)))
        .collect();
    // SAFETY: no other thread runs yet, so nothing reads the environment
    // while it changes.
    unsafe {
        match std::env::join_paths(kept) {
            Ok(v) if !v.is_empty() => std::env::set_var("LD_LIBRARY_PATH", v),
            _ => std::env::remove_var("LD_LIBRARY_PATH"),
        }
    }
}

/// The peers found on PATH; a missing one is named with how to install it.
fn peers() -> Vec<Kind> {
    let mut found = Vec::new();
    let mut missing = Vec::new();
    let runit = ["runsvdir", "runsv", "sv"];
    let s6 = ["s6-svscan", "s6-supervise", "s6-svstat", "s6-svc"];
    for (kind, name, programs) in [
        (Kind::Runit, "runit", &runit[..]),
        (Kind::S6, "s6", &s6[..]),
    ] {
        if programs.iter().all(|p| command::on_path(p)) {
            found.push(kind);
        } else {
            missing.push(name);
        }
    }
    if !missing.is_empty() {
        eprintln!(
            "bench: {} not installed; benchmarking without {}. To compare, install the Debian packages: apt-get install runit s6",
            missing.join(" and "),
            if missing.len() > 1 { "them" } else { "it" }
        );
    }
    found
}

fn column(kind: &Kind) -> Column {
    let binary = match kind {
        Kind::Reraise(b) => Some(b.worker()),
        Kind::Runit => command::which("runsv"),
        Kind::S6 => command::which("s6-supervise"),
    };
    Column {
        label: kind.label().to_owned(),
        is_reraise: matches!(kind, Kind::Reraise(_)),
        binary_kb: binary
            .and_then(|p| std::fs::metadata(p).ok())
            .map(|m| m.len() as f64 / 1024.0),
        ..Column::default()
    }
}

/// Runs one phase; a failure is noted and the run goes on, an interrupt
/// ends it (the guards then clean up).
fn attempt(
    notes: &mut Vec<String>,
    what: &str,
    phase: impl FnOnce() -> Result<(), String>,
) -> Result<(), String> {
    eprintln!("bench: {what}");
    match phase() {
        Ok(()) => Ok(()),
        Err(e) => {
            procs::check_interrupt()?;
            eprintln!("bench: {what} failed: {e}");
            notes.push(format!("{what} failed: {e}"));
            Ok(())
        }
    }
}
