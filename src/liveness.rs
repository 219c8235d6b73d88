//! Proving that a worker is alive: every worker holds a POSIX record lock on
//! `.NAME.lock` in the state directory for its whole life. The kernel drops
//! the lock when the worker dies, however it dies, and `F_GETLK` names the
//! holder's PID, so a PID read from a state file is never trusted alone.

use std::fs::OpenOptions;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use nix::fcntl::{FcntlArg, fcntl};
use nix::libc;

/// The lock file of service `name`.
pub fn lock_path(states: &Path, name: &str) -> PathBuf {
    states.join(format!(".{name}.lock"))
}

/// The PID of the live worker of `name`, or `None` when no worker holds its lock.
pub fn holder(states: &Path, name: &str) -> io::Result<Option<i32>> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(lock_path(states, name));
    let file = match file {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut probe = whole_file(libc::F_WRLCK);
    fcntl(file.as_fd(), FcntlArg::F_GETLK(&mut probe))?;
    if i32::from(probe.l_type) == i32::from(libc::F_UNLCK as i16) {
        return Ok(None);
    }
    if probe.l_pid <= 0 {
        // The kernel says 0 for a holder outside our PID namespace: alive,
        // but no PID of ours to signal, and kill(0) would hit our own group.
        return Err(io::Error::other(
            "its worker runs in another PID namespace (a container?): manage it from there",
        ));
    }
    Ok(Some(probe.l_pid))
}

/// Records the stop grace the worker uses in its lock file, so that `stop`
/// knows how long to wait even after the script was edited.
pub fn record_grace(lock: &OwnedFd, stop_sec: u32) {
    let mut buf = [0u8; 12];
    let mut out = &mut buf[..];
    let _ = std::io::Write::write_fmt(&mut out, format_args!("{stop_sec}\n"));
    let len = 12 - out.len();
    let _ = nix::sys::uio::pwrite(lock, &buf[..len], 0);
    let _ = nix::unistd::ftruncate(lock, len as i64);
}

/// The stop grace recorded by the live worker of `name`, if any.
pub fn recorded_grace(states: &Path, name: &str) -> Option<u32> {
    std::fs::read_to_string(lock_path(states, name))
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Why a worker could not take its lock.
#[derive(Debug)]
pub enum Refused {
    /// Another worker holds it (its PID when the system says).
    Busy(Option<i32>),
    Io(io::Error),
}

/// Takes the lock of the file at `path` for the life of this process. The
/// lock is per process: it is not inherited by the service, and it goes
/// away when this process exits or closes the returned descriptor.
pub fn acquire(path: &Path) -> Result<OwnedFd, Refused> {
    lock(path, true)
}

/// Takes the lock of an existing lock file, as the commands do for a moment;
/// only workers create lock files, so that they belong to the service's owner.
pub fn acquire_existing(path: &Path) -> Result<OwnedFd, Refused> {
    lock(path, false)
}

fn lock(path: &Path, create: bool) -> Result<OwnedFd, Refused> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(create)
        .truncate(false)
        .mode(0o644)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
        .map_err(Refused::Io)?;
    let lock = whole_file(libc::F_WRLCK);
    match fcntl(file.as_fd(), FcntlArg::F_SETLK(&lock)) {
        Ok(_) => Ok(file.into()),
        Err(nix::errno::Errno::EAGAIN | nix::errno::Errno::EACCES) => {
            let mut probe = whole_file(libc::F_WRLCK);
            let pid = fcntl(file.as_fd(), FcntlArg::F_GETLK(&mut probe))
                .ok()
                .map(|_| probe.l_pid);
            Err(Refused::Busy(pid.filter(|&p| p > 0)))
        }
        Err(e) => Err(Refused::Io(e.into())),
    }
}

fn whole_file(kind: libc::c_int) -> libc::flock {
    // SAFETY: `flock` is a plain C struct for which all-zero bytes are valid.
    let mut lock: libc::flock = unsafe { std::mem::zeroed() };
    lock.l_type = kind as _;
    lock.l_whence = libc::SEEK_SET as _;
    lock
}
