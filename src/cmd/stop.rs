//! `reraise stop PATTERN...`: ask each worker to stop, and wait until it has.

use std::time::Duration;

use nix::sys::signal::Signal;
use reraise::dirs::Dirs;
use reraise::liveness;
use reraise::service::{self, Condition};

use crate::exit::{Exit, fail};
use crate::launch::signal_worker;
use crate::out::say;

/// How much longer than `config_stop_sec` a worker may take to end.
pub const SLACK: Duration = Duration::from_secs(10);

pub fn run(patterns: &[String]) -> Exit {
    let dirs = match super::dirs() {
        Ok(d) => d,
        Err(e) => return e,
    };
    let candidates = match super::supervised(&dirs) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let (names, problems) = service::select(patterns, &candidates);
    let mut exit = super::report_unmatched(&problems, &dirs, false);
    let mut stopping = Vec::new();
    for name in names {
        match live_worker(&dirs, &name) {
            Ok(worker) => match signal_worker(&dirs, &name, worker, Signal::SIGTERM) {
                Ok(()) => stopping.push((name, worker)),
                Err(why) => exit = exit.and(fail(format!("{name}: {why}"))),
            },
            Err(why) => exit = exit.and(fail(format!("{name}: {why}"))),
        }
    }
    for (name, worker) in stopping {
        let grace = super::stop_grace(&dirs, &name);
        let gone = super::wait_until(grace, || {
            liveness::holder(&dirs.states, &name).ok().flatten() != Some(worker)
        });
        if gone {
            // The lock goes while the worker exits; let the exit finish too.
            super::wait_until(Duration::from_secs(1), || {
                !reraise::leftover::is_alive(worker)
            });
            say(format_args!("{name}: stop"));
        } else {
            exit = exit.and(fail(format!(
                "{name}: worker {worker} is still running {}s after the stop request: see `reraise status`",
                grace.as_secs()
            )));
        }
    }
    exit
}

/// The PID of the service's live worker, or why there is none to ask.
pub fn live_worker(dirs: &Dirs, name: &str) -> Result<i32, String> {
    let condition = service::examine(dirs, name);
    if let Some(worker) = condition.worker() {
        return Ok(worker);
    }
    Err(match condition {
        Condition::Failed { code, .. } => format!(
            "not running: it failed (exit {}) and its worker gave up: `reraise start {name}` starts it again",
            code.map_or_else(|| "?".to_owned(), |c| c.to_string())
        ),
        Condition::Stale { .. } => {
            format!(
                "not running: its worker is gone: `reraise clean` forgets it, `reraise start {name}` starts it again"
            )
        }
        Condition::Unknown { reason } => format!(
            "cannot tell whether it runs: {reason} ({})",
            dirs.state(name).display()
        ),
        _ => format!("not running: `reraise start {name}` starts it"),
    })
}
