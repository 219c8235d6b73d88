//! `reraise clean`: forget the state files of dead workers, after stopping
//! any service such a worker left running.

use reraise::liveness;
use reraise::service;

use crate::exit::{Exit, fail};
use crate::out::say;

pub fn run() -> Exit {
    let dirs = match super::dirs() {
        Ok(d) => d,
        Err(e) => return e,
    };
    let names = match service::with_state(&dirs) {
        Ok(n) => n,
        Err(e) => return fail(format!("cannot read {}: {e}", dirs.states.display())),
    };
    let mut exit = Exit::Success;
    for name in names {
        if liveness::holder(&dirs.states, &name)
            .ok()
            .flatten()
            .is_some()
        {
            continue;
        }
        let condition = service::examine(&dirs, &name);
        if let Err(why) = super::stop_leftover(&dirs, &name, &super::settings_of(&dirs, &name)) {
            exit = exit.and(fail(format!("{name}: {why}")));
            continue;
        }
        let path = dirs.state(&name);
        match std::fs::remove_file(&path) {
            Ok(()) => say(format_args!("{name}: clean ({})", condition.word())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                exit = exit.and(fail(format!(
                    "{name}: cannot remove {}: {e}",
                    path.display()
                )))
            }
        }
    }
    exit
}
