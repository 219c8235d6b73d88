//! `reraise start PATTERN...`: check each script, then launch its worker.

use std::path::Path;

use reraise::dirs::Dirs;
use reraise::settings::{self, Settings};
use reraise::{liveness, service};

use crate::exit::{Exit, fail, report};
use crate::launch::{self, Outcome};
use crate::out::say;

pub fn run(patterns: &[String]) -> Exit {
    let dirs = match super::dirs() {
        Ok(d) => d,
        Err(e) => return e,
    };
    let scripts = match service::scripts(&dirs) {
        Ok(s) => s,
        Err(e) => return fail(format!("cannot read {}: {e}", dirs.services.display())),
    };
    let (names, problems) = service::select(patterns, &scripts);
    let mut exit = super::report_unmatched(&problems, &dirs, true);
    // Launch every worker first and wait for them together: they come up
    // in parallel.
    let mut pending = Vec::new();
    for name in names {
        match prepare(&dirs, &name) {
            Ok(true) => {}
            Ok(false) => {
                say(format_args!("{name}: skip (already running)"));
                continue;
            }
            Err(why) => {
                exit = exit.and(fail(format!("{name}: {why}")));
                continue;
            }
        }
        match launch::launch(&dirs, &name, &dirs.script(&name)) {
            Ok(p) => pending.push((name, p)),
            Err(why) => exit = exit.and(fail(format!("{name}: {why}"))),
        }
    }
    let deadline = std::time::Instant::now() + launch::WORKER_PATIENCE;
    for (name, worker) in pending {
        match worker.wait(deadline) {
            Outcome::Ready => say(format_args!("{name}: start")),
            Outcome::Busy => say(format_args!("{name}: skip (already running)")),
            Outcome::Failed(why) => {
                exit = exit.and(fail(format!("{name}: the worker did not come up: {why}")))
            }
        }
    }
    exit
}

/// Checks the script and clears what a dead worker left. `Ok(false)` when a
/// worker already runs the service.
fn prepare(dirs: &Dirs, name: &str) -> Result<bool, String> {
    let settings = check(name, &dirs.script(name))?;
    if liveness::holder(&dirs.states, name)
        .map_err(|e| format!("cannot check its lock in {}: {e}", dirs.states.display()))?
        .is_some()
    {
        return Ok(false);
    }
    super::clear_leftover(dirs, name, &settings, false)
}

/// Checks that the script can be started and that its settings are valid.
/// Unknown `config_` names are warnings.
pub fn check(name: &str, script: &Path) -> Result<Settings, String> {
    let shown = script.display();
    let meta = script
        .metadata()
        .map_err(|e| format!("cannot use {shown}: {e}"))?;
    if !meta.is_file() {
        return Err(format!(
            "{shown} is not a regular file: a starter script must be one"
        ));
    }
    if !service::is_executable(script) {
        return Err(format!(
            "{shown} is not executable by its owner: run `chmod u+x {shown}`"
        ));
    }
    let scan = settings::read(script).map_err(|e| format!("cannot read {shown}: {e}"))?;
    for (line, setting) in &scan.unknown {
        report(format_args!(
            "{name}: warning: unknown setting {setting} ({shown}, line {line}): the known ones are config_start_sec, config_max_retry, config_stop_sec and config_stop_signal"
        ));
    }
    if let Some((last, rest)) = scan.invalid.split_last() {
        for bad in rest {
            report(format_args!(
                "{name}: invalid setting `{}` ({shown}, line {}): expected {}",
                bad.text, bad.line, bad.expected
            ));
        }
        return Err(format!(
            "invalid setting `{}` ({shown}, line {}): expected {}",
            last.text, last.line, last.expected
        ));
    }
    Ok(scan.settings)
}
