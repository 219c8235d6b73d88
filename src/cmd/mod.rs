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
/// proves the processes are the service's.
pub fn stop_leftover(dirs: &Dirs, name: &str, settings: &Settings) -> Result<(), String> {
    let Ok(Some(record)) = reraise::state::read(&dirs.state(name)) else {
        return Ok(());
    };
    let Some(group) = reraise::leftover::group(&record) else {
        return Ok(());
    };
    crate::out::say(format_args!(
        "{name}: stopping process group {group}, left running by a worker that died"
    ));
    if reraise::leftover::stop_group(group, settings) {
        Ok(())
    } else {
        Err(format!(
            "process group {group}, left running by a worker that died, does not stop: kill it and try again"
        ))
    }
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
