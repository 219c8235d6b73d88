//! One module per subcommand, and what they share.

pub mod clean;
pub mod help;
pub mod list;
pub mod restart;
pub mod skeleton;
pub mod start;
pub mod status;
pub mod stop;

use std::time::{Duration, Instant};

use reraise::dirs::Dirs;
use reraise::service::{self, NoMatch};
use reraise::settings::{self, Settings};

use crate::exit::{Exit, fail};

/// Both directories, or the reported reason they cannot be used.
pub fn dirs() -> Result<Dirs, Exit> {
    Dirs::checked().map_err(fail)
}

/// The services that `stop` and `restart` may act on: those with a state
/// file, and those whose worker lives although its state file was deleted.
pub fn supervised(dirs: &Dirs) -> Result<Vec<String>, Exit> {
    let mut names = service::with_state(dirs)
        .map_err(|e| fail(format!("cannot read {}: {e}", dirs.states.display())))?;
    let scripts = service::scripts(dirs).unwrap_or_default();
    for name in scripts {
        if !names.contains(&name)
            && reraise::liveness::holder(&dirs.states, &name)
                .ok()
                .flatten()
                .is_some()
        {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

/// Reports every pattern that selected nothing; `what` says among what.
pub fn report_unmatched(problems: &[NoMatch], dirs: &Dirs, among_scripts: bool) -> Exit {
    let mut exit = Exit::Success;
    for problem in problems {
        exit = exit.and(fail(match problem {
            NoMatch::Missing(name) if among_scripts => {
                format!("{name}: no such service (no starter script {}): see `reraise list`", dirs.script(name).display())
            }
            NoMatch::Missing(name) => {
                format!("{name}: not running (no state file in {}): see `reraise status`", dirs.states.display())
            }
            NoMatch::BadName(name, why) => format!("{name:?}: not a service name: {why}"),
            NoMatch::Unmatched(pattern) if among_scripts => {
                format!("'{pattern}' matches no service in {}: see `reraise list`", dirs.services.display())
            }
            NoMatch::Unmatched(pattern) => {
                format!("'{pattern}' matches no running service (state files in {}): see `reraise status`", dirs.states.display())
            }
            NoMatch::BadPattern(pattern, why) => format!("'{pattern}' is not a valid pattern: {why}"),
        }));
    }
    exit
}

/// Stops what a dead worker of `name` left running, when its state file
/// proves the processes are the service's, and with `forget` removes the
/// state file. `Ok(false)` when a worker holds the service's lock.
///
/// The lock is held meanwhile, so a `reraise start` running at the same
/// time cannot launch a worker whose fresh service would be taken for a
/// leftover: its worker finds the lock taken and reports the service busy.
pub fn clear_leftover(
    dirs: &Dirs,
    name: &str,
    settings: &Settings,
    forget: bool,
) -> Result<bool, String> {
    use reraise::liveness::{self, Refused};
    let _lock = match liveness::acquire_existing(&liveness::lock_path(&dirs.states, name)) {
        Ok(lock) => Some(lock),
        Err(Refused::Busy(_)) => return Ok(false),
        // No lock file, or another user's: go on as far as the checks allow.
        Err(Refused::Io(_)) => None,
    };
    let record = reraise::state::read(&dirs.state(name)).ok().flatten();
    // A worker releases its lock while it exits: give a dying one a moment.
    let mut alive = None;
    wait_until(std::time::Duration::from_secs(1), || {
        alive = record.as_ref().and_then(reraise::leftover::worker_may_live);
        alive.is_none()
    });
    if let Some(worker) = alive {
        return Err(format!(
            "its worker {worker} still runs but holds no lock: was {} deleted? Stop it with `kill {worker}`, then try again",
            liveness::lock_path(&dirs.states, name).display()
        ));
    }
    if let Some(group) = record.as_ref().and_then(reraise::leftover::group) {
        crate::out::say(format_args!(
            "{name}: stopping process group {group}, left running by a worker that died"
        ));
        if !reraise::leftover::stop_group(group, settings) {
            return Err(format!(
                "process group {group}, left running by a worker that died, does not stop: kill it and try again"
            ));
        }
    }
    if forget {
        let path = dirs.state(name);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("cannot remove {}: {e}", path.display())),
        }
    }
    Ok(true)
}

/// How long a stop of `name` may take: the grace its worker recorded at the
/// service's last start (the script may have been edited since), or the
/// script's, whichever is longer, plus slack for the worker itself.
pub fn stop_grace(dirs: &Dirs, name: &str) -> std::time::Duration {
    let recorded = reraise::liveness::recorded_grace(&dirs.states, name).unwrap_or(0);
    let grace = recorded.max(settings_of(dirs, name).stop_sec);
    std::time::Duration::from_secs(grace.into()) + stop::SLACK
}

/// A service's settings for the commands, defaults when the script is unreadable.
pub fn settings_of(dirs: &Dirs, name: &str) -> Settings {
    settings::read(&dirs.script(name))
        .map(|s| s.settings)
        .unwrap_or_default()
}

/// Polls `done` with a short, growing pause until it holds or `within`
/// passes. The command line polls; the worker never does.
pub fn wait_until(within: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    let mut pause = Duration::from_micros(500);
    loop {
        if done() {
            return true;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        std::thread::sleep(pause.min(left));
        pause = (pause * 2).min(Duration::from_millis(20));
    }
}
