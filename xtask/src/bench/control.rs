//! Asking supervisors about and for their services: status, and the peers'
//! up and down with their supervisors staying up.

use std::path::PathBuf;
use std::process::Command;

use super::command::{self, Ran};
use super::supervisors::{DEADLINE, Instance, Kind};

impl Instance {
    /// Asks for the status of every service: `reraise status`, `sv status
    /// DIR...`, or one `s6-svstat DIR` per service. Returns the output.
    pub fn status(&self) -> Result<Ran, String> {
        match &self.kind {
            Kind::Reraise(b) => command::run(&mut self.reraise(b, &["status"]), DEADLINE),
            Kind::Runit => {
                command::run(Command::new("sv").arg("status").args(self.dirs()), DEADLINE)
            }
            Kind::S6 => self.each("s6-svstat", &[]),
        }
    }

    /// Peers only: `sv down`/`sv up` over all services, or `s6-svc -d`/`-u`
    /// per service, with the supervisors staying up.
    pub fn switch(&self, up: bool) -> Result<Ran, String> {
        let word = if up { "up" } else { "down" };
        match &self.kind {
            Kind::Reraise(_) => Err("reraise has no supervisor without its service".into()),
            Kind::Runit => command::run(Command::new("sv").arg(word).args(self.dirs()), DEADLINE),
            Kind::S6 => self.each("s6-svc", &[if up { "-u" } else { "-d" }]),
        }
    }

    fn dirs(&self) -> Vec<PathBuf> {
        self.names.iter().map(|n| self.services.join(n)).collect()
    }

    /// Runs `program ARGS DIR` once per service; the time is the whole loop's.
    fn each(&self, program: &str, args: &[&str]) -> Result<Ran, String> {
        let start = std::time::Instant::now();
        let mut stdout = String::new();
        for dir in self.dirs() {
            let ran = command::run(Command::new(program).args(args).arg(dir), DEADLINE)?;
            stdout.push_str(&ran.stdout);
        }
        Ok(Ran {
            took: start.elapsed(),
            stdout,
        })
    }
}

/// Makes sure a status command saw every service running.
pub fn check_status(kind: &Kind, out: &str, n: usize) -> Result<(), String> {
    let running = out
        .lines()
        .filter(|l| match kind {
            Kind::Reraise(_) => l.split_whitespace().nth(1) == Some("running"),
            Kind::Runit => l.starts_with("run: "),
            Kind::S6 => l.starts_with("up "),
        })
        .count();
    if running == n {
        Ok(())
    } else {
        Err(format!(
            "{}: status showed {running} of {n} services running:\n{out}",
            kind.label()
        ))
    }
}
