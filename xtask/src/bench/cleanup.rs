//! Leaving nothing behind: processes are ended by PID (never by name), and
//! the scratch directory goes last, even when a step failed.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::procs::{self, Proc, SIGKILL};

/// Ends `procs`: sends `first` (if any), gives them `grace` to go, then
/// SIGKILLs the rest. Returns those still alive a second after that.
pub fn end(procs: &[Proc], first: Option<i32>, grace: Duration) -> Vec<Proc> {
    if let Some(sig) = first {
        for p in procs {
            p.signal(sig);
        }
        settle(procs, grace);
    }
    for p in procs {
        p.signal(SIGKILL);
    }
    settle(procs, Duration::from_secs(1));
    procs.iter().copied().filter(|p| p.is_alive()).collect()
}

/// Waits up to `within` for all of `procs` to end (no interrupt check:
/// this runs while cleaning up after one).
pub fn settle(procs: &[Proc], within: Duration) {
    let deadline = Instant::now() + within;
    while procs.iter().any(|p| p.is_alive()) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Kills whatever still works under `dir`, by PID, and says so.
pub fn sweep(dir: &Path) {
    let left = procs::working_under(dir);
    if left.is_empty() {
        return;
    }
    let pids: Vec<String> = left.iter().map(|p| p.pid.to_string()).collect();
    eprintln!(
        "bench: killing {} leftover process(es) under {}: {}",
        left.len(),
        dir.display(),
        pids.join(" ")
    );
    let alive = end(&left, None, Duration::ZERO);
    if !alive.is_empty() {
        eprintln!("bench: could not end PIDs {alive:?}");
    }
}

/// The benchmark's temporary directory under /tmp, holding the services,
/// the state files and HOME of every supervisor it runs.
pub struct Scratch {
    pub root: PathBuf,
}

impl Scratch {
    pub fn new() -> Result<Scratch, String> {
        let root = std::env::temp_dir().join(format!("reraise-bench.{}", std::process::id()));
        if root.exists() {
            std::fs::remove_dir_all(&root).map_err(|e| format!("{}: {e}", root.display()))?;
        }
        std::fs::create_dir_all(&root).map_err(|e| format!("{}: {e}", root.display()))?;
        Ok(Scratch { root })
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        sweep(&self.root);
        if let Err(e) = std::fs::remove_dir_all(&self.root) {
            eprintln!("bench: cannot remove {}: {e}", self.root.display());
        }
    }
}
