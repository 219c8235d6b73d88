//! `reraise restart PATTERN...`: each worker stops its service and starts it
//! again; the worker stays, the service gets a new PID.

use nix::sys::signal::Signal;
use reraise::service::{self, Condition};

use crate::exit::{Exit, fail};
use crate::launch::signal_worker;
use crate::out::say;

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
    let mut restarting = Vec::new();
    for name in names {
        let worker = match super::stop::live_worker(&dirs, &name) {
            Ok(w) => w,
            Err(why) => {
                exit = exit.and(fail(format!("{name}: {why}")));
                continue;
            }
        };
        let old = match service::examine(&dirs, &name) {
            Condition::Running { pid, .. } => pid,
            _ => None,
        };
        // Read before the worker restarts and records the new settings.
        let grace = super::stop_grace(&dirs, &name);
        match signal_worker(&dirs, &name, worker, Signal::SIGHUP) {
            Ok(()) => restarting.push((name, worker, old, grace)),
            Err(why) => exit = exit.and(fail(format!("{name}: {why}"))),
        }
    }
    for (name, worker, old, grace) in restarting {
        let mut last = Condition::NotRunning;
        super::wait_until(grace, || {
            last = service::examine(&dirs, &name);
            match &last {
                Condition::Running {
                    pid: Some(pid),
                    worker: w,
                    ..
                } => *w == worker && Some(*pid) != old,
                other => other.worker() != Some(worker),
            }
        });
        match last {
            Condition::Running {
                pid: Some(pid),
                worker: w,
                ..
            } if w == worker && Some(pid) != old => {
                say(format_args!("{name}: restart"));
            }
            other => {
                exit = exit.and(fail(format!(
                    "{name}: did not come back after the restart request (now {}): see `reraise status`",
                    other.word()
                )));
            }
        }
    }
    exit
}
