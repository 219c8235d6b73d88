//! The two directories: starter scripts (`RERAISE_DIR`) and state files
//! (`RERAISE_PIDDIR`).

use std::env;
use std::fmt;
use std::path::{Path, PathBuf};

pub const DEFAULT_PIDDIR: &str = "/var/tmp/reraise";

/// Where services and their state live, as absolute paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dirs {
    pub services: PathBuf,
    pub states: PathBuf,
}

/// A directory that cannot be used, with the variable that chose it.
#[derive(Debug)]
pub struct DirError {
    pub var: &'static str,
    pub path: PathBuf,
    pub problem: String,
}

impl fmt::Display for DirError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.display();
        write!(f, "{} ({path}, from {}): ", self.problem, self.var)?;
        if self.var == "RERAISE_PIDDIR" {
            write!(
                f,
                "create it with `mkdir -p {path}` (and `chmod 1777 {path}` if services of several users share it), or set {} to another directory",
                self.var
            )
        } else {
            write!(
                f,
                "create it with `mkdir -p {path}` and put starter scripts in it, or set {} to another directory",
                self.var
            )
        }
    }
}

impl Dirs {
    /// The directories as the environment chooses them, without checking them.
    pub fn from_env() -> Dirs {
        let services = env::var_os("RERAISE_DIR")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| home().join("reraise.d"));
        let states = env::var_os("RERAISE_PIDDIR")
            .filter(|v| !v.is_empty())
            .map_or_else(|| PathBuf::from(DEFAULT_PIDDIR), PathBuf::from);
        Dirs {
            services: absolute(services),
            states: absolute(states),
        }
    }

    /// Both directories, checked to exist and to be directories.
    pub fn checked() -> Result<Dirs, DirError> {
        let dirs = Dirs::from_env();
        check("RERAISE_DIR", &dirs.services)?;
        check("RERAISE_PIDDIR", &dirs.states)?;
        Ok(dirs)
    }

    pub fn script(&self, name: &str) -> PathBuf {
        self.services.join(name)
    }

    pub fn state(&self, name: &str) -> PathBuf {
        self.states.join(name)
    }
}

/// The user's home directory from `HOME`, or `/` without one: the worker
/// avoids user-database lookups, which can fail in static binaries.
pub fn home() -> PathBuf {
    env::var_os("HOME")
        .filter(|v| !v.is_empty())
        .map_or_else(|| PathBuf::from("/"), PathBuf::from)
}

fn absolute(path: PathBuf) -> PathBuf {
    std::path::absolute(&path).unwrap_or(path)
}

fn check(var: &'static str, path: &Path) -> Result<(), DirError> {
    let problem = match path.metadata() {
        Ok(m) if m.is_dir() => return Ok(()),
        Ok(_) => "is not a directory".to_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => "directory does not exist".to_owned(),
        Err(e) => format!("cannot use directory: {e}"),
    };
    Err(DirError {
        var,
        path: path.to_owned(),
        problem,
    })
}
