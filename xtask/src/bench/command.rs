//! Running a command to completion with a deadline, and timing it.

use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::procs::{self, SIGKILL};

/// A finished command.
pub struct Ran {
    /// From just before the fork to the reaping of the process.
    pub took: Duration,
    pub stdout: String,
}

/// Runs `cmd` with its output captured; an error if it fails or is still
/// running after `within` (then it is killed by its PID).
pub fn run(cmd: &mut Command, within: Duration) -> Result<Ran, String> {
    let shown = format!("{cmd:?}");
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let child = cmd
        .spawn()
        .map_err(|e| format!("cannot run {shown}: {e}"))?;
    let pid = child.id() as i32;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let out = child.wait_with_output();
        let _ = tx.send((out, start.elapsed()));
    });
    let (out, took) = loop {
        match rx.recv_timeout(Duration::from_millis(50)) {
            Ok(done) => break done,
            Err(mpsc::RecvTimeoutError::Timeout) if start.elapsed() < within => {
                if let Err(e) = procs::check_interrupt() {
                    procs::send(pid, SIGKILL);
                    return Err(e);
                }
            }
            Err(_) => {
                // Not reaped yet, so the PID is still this child's.
                procs::send(pid, SIGKILL);
                return Err(format!("{shown}: still running after {within:?}, killed"));
            }
        }
    };
    let out = out.map_err(|e| format!("{shown}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{shown} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(Ran {
        took,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
    })
}

/// Whether `program` is an executable file in one of PATH's directories.
pub fn on_path(program: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|d| {
            std::fs::metadata(d.join(program))
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
    })
}

/// The full path of `program` on PATH.
pub fn which(program: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}
