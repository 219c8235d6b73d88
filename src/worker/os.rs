//! The worker's few system-specific calls, each with a portable fallback.

use std::time::Duration;

use nix::libc;
use nix::sys::signal::{
    SaFlags, SigAction, SigHandler, SigSet, SigmaskHow, Signal, sigaction, sigprocmask,
};

/// Blocks `set` so that its signals wait for `sigwait`. SIGCHLD also gets a
/// handler that does nothing: some systems discard a signal whose action is
/// to ignore it even while it is blocked.
pub fn block_signals(set: &SigSet) {
    let _ = sigprocmask(SigmaskHow::SIG_BLOCK, Some(set), None);
    extern "C" fn nothing(_: libc::c_int) {}
    let action = SigAction::new(
        SigHandler::Handler(nothing),
        SaFlags::SA_NOCLDSTOP | SaFlags::SA_RESTART,
        SigSet::empty(),
    );
    // SAFETY: the handler does nothing, so it is trivially async-signal-safe.
    let _ = unsafe { sigaction(Signal::SIGCHLD, &action) };
}

/// In the service, before exec: an empty signal mask and every signal's
/// default action. The worker's mask would otherwise be inherited and make
/// the service deaf to SIGTERM; a signal ignored by whoever ran `reraise
/// start` (`nohup` ignores SIGHUP, Rust's runtime SIGPIPE) would stay ignored
/// across exec. A service starts the same wherever it was started from.
///
/// # Safety
/// Only for a freshly forked child; makes async-signal-safe calls only.
pub unsafe fn reset_signals() {
    // SAFETY: signal, sigemptyset and sigprocmask are async-signal-safe;
    // signals that cannot be changed (KILL, STOP) or do not exist fail harmlessly.
    unsafe {
        for signal in 1..MAX_SIGNAL {
            libc::signal(signal, libc::SIG_DFL);
        }
        let mut empty: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut empty);
        libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
    }
}

/// One past the highest signal number, real-time signals included.
#[cfg(target_os = "linux")]
const MAX_SIGNAL: libc::c_int = 65;
#[cfg(not(target_os = "linux"))]
const MAX_SIGNAL: libc::c_int = 32;

/// Closes every descriptor above stderr.
pub fn close_inherited_fds() {
    #[cfg(target_os = "linux")]
    // SAFETY: close_range only closes descriptors; nothing of ours is open yet.
    if unsafe { libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 0u32) } == 0 {
        return;
    }
    for fd in 3..1024 {
        // SAFETY: as above; closing a descriptor that is not open is harmless.
        unsafe { libc::close(fd) };
    }
}

/// Arms the one-shot SIGALRM timer; zero cancels it.
pub fn set_timer(after: Duration) {
    let value = libc::timeval {
        tv_sec: after.as_secs() as libc::time_t,
        tv_usec: libc::suseconds_t::from(after.subsec_micros() as i32),
    };
    let timer = libc::itimerval {
        it_interval: libc::timeval {
            tv_sec: 0,
            tv_usec: 0,
        },
        it_value: value,
    };
    // SAFETY: setitimer reads a valid itimerval; no old value is requested.
    unsafe { libc::setitimer(libc::ITIMER_REAL, &timer, std::ptr::null_mut()) };
}

/// Linux: orphaned descendants of the service are re-parented to the worker,
/// which can then reap them and see when a stopped group is really empty.
#[cfg(target_os = "linux")]
pub fn become_subreaper() {
    // SAFETY: prctl with integer arguments only.
    unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
}

#[cfg(not(target_os = "linux"))]
pub fn become_subreaper() {}

/// Linux: the service gets `signal` when the worker dies, so it does not run
/// on unsupervised. Elsewhere `reraise start` and `clean` stop such leftovers.
///
/// # Safety
/// Only for a freshly forked child.
#[cfg(target_os = "linux")]
pub unsafe fn die_with_parent(signal: Signal, parent: i32) {
    // SAFETY: prctl, getppid and _exit are async-signal-safe.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, signal as libc::c_ulong, 0, 0, 0);
        // The worker may have died before the prctl took effect.
        if libc::getppid() != parent {
            libc::_exit(128 + signal as i32);
        }
    }
}

/// # Safety
/// Only for a freshly forked child.
#[cfg(not(target_os = "linux"))]
pub unsafe fn die_with_parent(_signal: Signal, _parent: i32) {}
