//! Services as the commands see them: listing the two directories, matching
//! patterns against names, and examining what one service is doing.

use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::dirs::Dirs;
use crate::liveness;
use crate::state::{self, Phase, Record};

/// The names of the starter scripts in `RERAISE_DIR`, sorted. Dot-files,
/// directories and names that cannot be services are left out.
pub fn scripts(dirs: &Dirs) -> io::Result<Vec<String>> {
    names_in(&dirs.services, |_, t| !t.is_dir())
}

/// The names that have a state file in `RERAISE_PIDDIR`, sorted.
pub fn with_state(dirs: &Dirs) -> io::Result<Vec<String>> {
    names_in(&dirs.states, |_, t| t.is_file() || t.is_symlink())
}

fn names_in(dir: &Path, keep: impl Fn(&str, fs::FileType) -> bool) -> io::Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if crate::name::is_valid(&name) && entry.file_type().is_ok_and(|t| keep(&name, t)) {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

/// Why a pattern selected nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoMatch {
    /// A plain name that is not among the candidates.
    Missing(String),
    /// A plain name that cannot be a service name, and why.
    BadName(String, &'static str),
    /// A glob pattern that matched nothing.
    Unmatched(String),
    /// A glob pattern with a syntax error.
    BadPattern(String, String),
}

/// Matches each pattern against `candidates`. Returns the selected names in
/// the order first matched, without repeats, and one problem per pattern
/// that selected nothing.
pub fn select(patterns: &[String], candidates: &[String]) -> (Vec<String>, Vec<NoMatch>) {
    let mut chosen: Vec<String> = Vec::new();
    let mut problems = Vec::new();
    for pattern in patterns {
        let found: Vec<&String> = if is_glob(pattern) {
            match glob::Pattern::new(pattern) {
                Ok(p) => candidates.iter().filter(|c| p.matches(c)).collect(),
                Err(e) => {
                    problems.push(NoMatch::BadPattern(pattern.clone(), e.msg.to_owned()));
                    continue;
                }
            }
        } else if let Some(why) = crate::name::problem(pattern) {
            problems.push(NoMatch::BadName(pattern.clone(), why));
            continue;
        } else {
            candidates.iter().filter(|c| *c == pattern).collect()
        };
        if found.is_empty() {
            problems.push(if is_glob(pattern) {
                NoMatch::Unmatched(pattern.clone())
            } else {
                NoMatch::Missing(pattern.clone())
            });
        }
        for name in found {
            if !chosen.contains(name) {
                chosen.push(name.clone());
            }
        }
    }
    (chosen, problems)
}

fn is_glob(pattern: &str) -> bool {
    pattern.contains(['*', '?', '['])
}

/// What one service is doing, as `status` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    NotRunning,
    NotExecutable,
    Starting {
        worker: i32,
        since: Option<u64>,
    },
    /// `pid` is unknown when the state file was deleted under a live worker.
    Running {
        pid: Option<i32>,
        worker: i32,
        since: Option<u64>,
    },
    /// Exited and about to be started again (`stop` in the status).
    Restarting {
        code: Option<i32>,
        worker: i32,
        since: Option<u64>,
    },
    Failed {
        code: Option<i32>,
        since: Option<u64>,
    },
    /// A state file whose worker is gone.
    Stale {
        record: Record,
    },
    Unknown {
        reason: String,
    },
}

impl Condition {
    /// The word scripts grep for.
    pub fn word(&self) -> &'static str {
        match self {
            Condition::NotRunning => "not-running",
            Condition::NotExecutable => "not-executable",
            Condition::Starting { .. } => "starting",
            Condition::Running { .. } => "running",
            Condition::Restarting { .. } => "stop",
            Condition::Failed { .. } => "ERROR",
            Condition::Stale { .. } => "seems-not-running",
            Condition::Unknown { .. } => "UNKNOWN",
        }
    }

    /// The live worker's PID, if there is one.
    pub fn worker(&self) -> Option<i32> {
        match *self {
            Condition::Starting { worker, .. }
            | Condition::Running { worker, .. }
            | Condition::Restarting { worker, .. } => Some(worker),
            _ => None,
        }
    }
}

/// Examines service `name`: its lock says whether a worker lives, its state
/// file what the worker last did, its script whether it could be started.
pub fn examine(dirs: &Dirs, name: &str) -> Condition {
    let worker = match liveness::holder(&dirs.states, name) {
        Ok(w) => w,
        Err(e) => {
            return Condition::Unknown {
                reason: format!("cannot check its lock: {e}"),
            };
        }
    };
    let record = match state::read(&dirs.state(name)) {
        Ok(r) => r,
        Err(reason) => {
            return Condition::Unknown {
                reason: format!("state file {}", reason),
            };
        }
    };
    match (record, worker) {
        (None, None) if is_executable(&dirs.script(name)) => Condition::NotRunning,
        (None, None) => Condition::NotExecutable,
        (None, Some(worker)) => Condition::Running {
            pid: None,
            worker,
            since: None,
        },
        (Some(r), Some(worker)) => match r.phase {
            Phase::Start => Condition::Starting {
                worker,
                since: r.epoch,
            },
            Phase::Run => Condition::Running {
                pid: r.pid,
                worker,
                since: r.epoch,
            },
            Phase::Stop => Condition::Restarting {
                code: r.code,
                worker,
                since: r.epoch,
            },
            Phase::Error => Condition::Failed {
                code: r.code,
                since: r.epoch,
            },
        },
        (Some(r), None) if r.phase == Phase::Error => Condition::Failed {
            code: r.code,
            since: r.epoch,
        },
        (Some(record), None) => Condition::Stale { record },
    }
}

/// Whether `path` is a regular file its owner may execute.
pub fn is_executable(path: &Path) -> bool {
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o100 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn globs_and_names_select_in_order_without_repeats() {
        let all = names(&["db", "http-8000", "http-8001", "web-1", "web-2", "web-3"]);
        let (chosen, problems) = select(&names(&["web-[12]", "db", "web-*", "db"]), &all);
        assert_eq!(chosen, names(&["web-1", "web-2", "db", "web-3"]));
        assert!(problems.is_empty());
    }

    #[test]
    fn each_failing_pattern_is_reported_and_the_rest_still_selects() {
        let all = names(&["db", "web"]);
        let (chosen, problems) = select(&names(&["nope", "x*", "web", "a/b", "["]), &all);
        assert_eq!(chosen, names(&["web"]));
        assert!(matches!(&problems[0], NoMatch::Missing(n) if n == "nope"));
        assert!(matches!(&problems[1], NoMatch::Unmatched(p) if p == "x*"));
        assert!(matches!(&problems[2], NoMatch::BadName(n, _) if n == "a/b"));
        assert!(matches!(&problems[3], NoMatch::BadPattern(p, _) if p == "["));
    }

    #[test]
    fn star_matches_every_candidate() {
        let all = names(&["a", "b"]);
        assert_eq!(select(&names(&["*"]), &all).0, all);
    }
}
