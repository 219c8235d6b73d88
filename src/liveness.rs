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
    Ok((i32::from(probe.l_type) != i32::from(libc::F_UNLCK as i16)).then_some(probe.l_pid))
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
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
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
