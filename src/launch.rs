//! Starting a worker, detached from the caller, through `sudo` when the
//! script belongs to another user, and learning whether it came up.
//!
//! The worker's stdout and stderr are a pipe back to us: it writes `ready`
//! once it holds the lock and has written the state file, or `busy`, or an
//! error, then lets go of the pipe. Reading to the end is the wait.

use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::unistd::{Uid, User};

use reraise::dirs::Dirs;

/// A worker being started.
pub struct Pending {
    child: std::process::Child,
    output: std::fs::File,
    runas: Option<String>,
    worker: PathBuf,
}

/// How a worker's start ended.
#[derive(Debug)]
pub enum Outcome {
    Ready,
    /// Another worker already supervises the service.
    Busy,
    Failed(String),
}

/// Starts the worker of `name` without waiting for it.
pub fn launch(dirs: &Dirs, name: &str, script: &Path) -> Result<Pending, String> {
    let worker = worker_path()?;
    let owner = script.metadata().map_err(|e| e.to_string())?.uid();
    let runas = (owner != Uid::effective().as_raw()).then(|| user_name(owner));
    let mut command = match &runas {
        None => Command::new(&worker),
        Some(user) => {
            let sudo = find_in_path("sudo").ok_or_else(|| {
                format!("the script belongs to {user}, and running it as {user} needs sudo, which is not installed: install sudo, or run reraise as {user}")
            })?;
            let mut c = Command::new(sudo);
            c.args(["-n", "-u", user, "--"]).arg(&worker);
            c
        }
    };
    command
        .arg("--dir")
        .arg(&dirs.services)
        .arg("--piddir")
        .arg(&dirs.states)
        .arg("--")
        .arg(name);
    let (reader, writer) = std::io::pipe().map_err(|e| format!("cannot make a pipe: {e}"))?;
    let writer2 = writer.try_clone().map_err(|e| e.to_string())?;
    command.stdin(Stdio::null()).stdout(writer).stderr(writer2);
    // SAFETY: setsid is async-signal-safe. A new session leaves the worker
    // (and sudo) without a controlling terminal: closing ours cannot kill
    // it, and sudo cannot prompt on it.
    unsafe {
        command.pre_exec(|| {
            nix::unistd::setsid()
                .map(drop)
                .map_err(std::io::Error::from)
        });
    }
    let child = command
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", worker.display()))?;
    drop(command);
    Ok(Pending {
        child,
        output: std::fs::File::from(std::os::fd::OwnedFd::from(reader)),
        runas,
        worker,
    })
}

impl Pending {
    /// Waits until the worker is up, or has said why not.
    pub fn wait(mut self, deadline: Instant) -> Outcome {
        let Some(text) = read_until(&mut self.output, deadline) else {
            let _ = self.child.kill();
            let _ = self.child.wait();
            return Outcome::Failed(format!(
                "no word from the worker within {}s: see `reraise status`",
                WORKER_PATIENCE.as_secs()
            ));
        };
        let status = self.child.wait();
        if text.lines().any(|l| l.starts_with("ready")) {
            return Outcome::Ready;
        }
        if text.lines().any(|l| l == "busy") {
            return Outcome::Busy;
        }
        let said = text
            .lines()
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("; ");
        let mut why = if said.is_empty() {
            format!(
                "the worker ended without a word ({})",
                status.map_or_else(|e| e.to_string(), |s| s.to_string())
            )
        } else {
            said
        };
        if let Some(user) = &self.runas
            && (why.contains("password") || why.contains("terminal is required"))
        {
            let me = user_name(Uid::effective().as_raw());
            why.push_str(&format!(
                ": the script belongs to {user}; run reraise as {user}, or allow this in sudoers (visudo): `{me} ALL=({user}) NOPASSWD: {}, /usr/bin/kill`",
                self.worker.display()
            ));
        }
        Outcome::Failed(why)
    }
}

/// How long `reraise start` waits for workers to report.
pub const WORKER_PATIENCE: Duration = Duration::from_secs(30);

/// Reads `pipe` to its end, or gives up at `deadline`.
fn read_until(pipe: &mut std::fs::File, deadline: Instant) -> Option<String> {
    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
    use std::os::fd::AsFd;
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 512];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let timeout =
            PollTimeout::try_from(left.as_millis().min(60_000) as i32).unwrap_or(PollTimeout::MAX);
        let mut fds = [PollFd::new(pipe.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, timeout) {
            Ok(0) if left.is_zero() => return None,
            Ok(0) | Err(nix::errno::Errno::EINTR) => continue,
            Ok(_) => {}
            Err(_) => break,
        }
        match pipe.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => bytes.extend_from_slice(&chunk[..n]),
        }
    }
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// `auto-reraise` beside this `reraise`, as installed together; else on PATH.
fn worker_path() -> Result<PathBuf, String> {
    let me = std::env::current_exe().and_then(|p| p.canonicalize());
    let beside = me
        .ok()
        .and_then(|p| p.parent().map(|d| d.join("auto-reraise")));
    if let Some(beside) = beside.filter(|b| b.is_file()) {
        return Ok(beside);
    }
    find_in_path("auto-reraise").ok_or_else(|| {
        "auto-reraise is neither beside reraise nor on PATH: install both binaries together"
            .to_owned()
    })
}

fn find_in_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| reraise::service::is_executable(p))
}

/// A user's name for sudo, or `#UID` when the user database does not know it.
fn user_name(uid: u32) -> String {
    match User::from_uid(Uid::from_raw(uid)) {
        Ok(Some(user)) => user.name,
        _ => format!("#{uid}"),
    }
}

/// Sends `signal` to worker `pid` of service `name`. A worker of another
/// user is signalled through `sudo -n -u OWNER kill`.
pub fn signal_worker(
    dirs: &Dirs,
    name: &str,
    pid: i32,
    signal: nix::sys::signal::Signal,
) -> Result<(), String> {
    use nix::errno::Errno;
    match nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), signal) {
        Ok(()) | Err(Errno::ESRCH) => Ok(()),
        Err(Errno::EPERM) => {
            let lock = reraise::liveness::lock_path(&dirs.states, name);
            let owner = lock
                .metadata()
                .map_err(|e| format!("{}: {e}", lock.display()))?
                .uid();
            let user = user_name(owner);
            let me = user_name(Uid::effective().as_raw());
            let sudo = find_in_path("sudo").ok_or_else(|| {
                format!("its worker runs as {user}; signalling it needs sudo, which is not installed: run reraise as {user}")
            })?;
            let out = Command::new(sudo)
                .args([
                    "-n",
                    "-u",
                    &user,
                    "--",
                    "kill",
                    "-s",
                    &signal.as_str()[3..],
                    &pid.to_string(),
                ])
                .stdin(Stdio::null())
                .output()
                .map_err(|e| format!("cannot run sudo: {e}"))?;
            if out.status.success() {
                Ok(())
            } else {
                let said = String::from_utf8_lossy(&out.stderr)
                    .trim()
                    .replace('\n', "; ");
                Err(format!(
                    "its worker runs as {user}, and `sudo -n -u {user} kill` failed: {said}: run reraise as {user}, or allow it in sudoers (visudo): `{me} ALL=({user}) NOPASSWD: /usr/bin/kill`"
                ))
            }
        }
        Err(e) => Err(format!("cannot signal worker {pid}: {e}")),
    }
}
