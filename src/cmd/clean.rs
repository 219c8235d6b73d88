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
        // A live worker, or one this command cannot see: not ours to clean.
        if !matches!(liveness::holder(&dirs.states, &name), Ok(None)) {
            continue;
        }
        let condition = service::examine(&dirs, &name);
        match super::clear_leftover(&dirs, &name, &super::settings_of(&dirs, &name), true) {
            Ok(true) => say(format_args!("{name}: clean ({})", condition.word())),
            Ok(false) => {}
            Err(why) => exit = exit.and(fail(format!("{name}: {why}"))),
        }
    }
    exit
}
