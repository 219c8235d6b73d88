//! Starting the service: fork, its own process group, stdin from /dev/null,
//! a clean signal state, and exec of the starter script.

use std::ffi::CString;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use nix::errno::Errno;
use nix::libc;
use nix::sys::signal::Signal;
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, fork, setpgid};

use super::os;

/// Everything needed to start the service, prepared once so that starting
/// it again allocates nothing.
pub struct Child {
    script: CString,
    devnull: OwnedFd,
}

impl Child {
    pub fn new(script: &Path, devnull: OwnedFd) -> Child {
        let script = CString::new(script.as_os_str().as_bytes()).expect("paths hold no NUL");
        Child { script, devnull }
    }

    /// Starts the script as the leader of a new process group. `parent` is
    /// the worker's PID, `death` the signal the service gets if the worker dies.
    pub fn spawn(&self, parent: i32, death: Signal) -> nix::Result<Pid> {
        // SAFETY: the worker is single-threaded, and the child only makes
        // async-signal-safe calls before exec.
        match unsafe { fork() }? {
            ForkResult::Child => unsafe { self.exec(parent, death) },
            ForkResult::Parent { child } => {
                // Also done in the child; whichever runs first wins, so a
                // stop signal sent right away reaches the whole group.
                let _ = setpgid(child, child);
                Ok(child)
            }
        }
    }

    /// In the forked child: set up and exec, or exit 126 (cannot execute) or
    /// 127 (not found), as shells do.
    unsafe fn exec(&self, parent: i32, death: Signal) -> ! {
        let null = self.devnull.as_raw_fd();
        // SAFETY: plain system calls on this process's own descriptors and
        // signal state; argv is a NULL-terminated array of valid C strings.
        unsafe {
            libc::setpgid(0, 0);
            libc::dup2(null, 0);
            libc::dup2(null, 1);
            libc::dup2(null, 2);
            os::die_with_parent(death, parent);
            os::reset_signals();
            let argv = [self.script.as_ptr(), std::ptr::null()];
            // A script that some process has open for writing cannot be run
            // (ETXTBSY): an editor saving it, or a forked child of the
            // program that wrote it, not yet exec'd. That passes; wait a
            // little rather than record a failed start.
            for _ in 0..100 {
                libc::execv(self.script.as_ptr(), argv.as_ptr());
                if Errno::last() != Errno::ETXTBSY {
                    break;
                }
                let pause = libc::timespec {
                    tv_sec: 0,
                    tv_nsec: 10_000_000,
                };
                libc::nanosleep(&pause, std::ptr::null_mut());
            }
            libc::_exit(if Errno::last() == Errno::ENOENT {
                127
            } else {
                126
            })
        }
    }

    /// Points the worker's own stdout and stderr at /dev/null, once
    /// `reraise start` has read what it needed from them.
    pub fn silence_stdio(&self) {
        let null = self.devnull.as_raw_fd();
        // SAFETY: dup2 onto this process's standard descriptors.
        unsafe {
            libc::dup2(null, 1);
            libc::dup2(null, 2);
        }
    }
}

/// One ended child and its status (128 + N for a death by signal N), or
/// `None` when no child has ended.
pub fn reap_one() -> Option<(Pid, i32)> {
    loop {
        match waitpid(None, Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::Exited(pid, code)) => return Some((pid, code)),
            Ok(WaitStatus::Signaled(pid, signal, _)) => return Some((pid, 128 + signal as i32)),
            Ok(WaitStatus::StillAlive) | Err(Errno::ECHILD) => return None,
            Ok(_) | Err(Errno::EINTR) => {}
            Err(_) => return None,
        }
    }
}
