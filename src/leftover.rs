//! Services left behind by a worker that died (SIGKILL, out of memory):
//! found only when the state file proves they are ours, and stopped.

use std::thread::sleep;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

use crate::settings::Settings;
use crate::state::{Phase, Record};

/// The process group of a service that outlived its worker, when `record`
/// proves the group is the one the worker started.
///
/// A group ID stays allocated as long as one member lives, so a group whose
/// leader is gone is still the service's. A live leader must also have been
/// started when the state file says, or the PID was reused.
pub fn group(record: &Record) -> Option<i32> {
    let pid = record.pid.filter(|_| record.phase == Phase::Run)?;
    if !group_exists(pid) {
        return None;
    }
    if nix::sys::signal::kill(Pid::from_raw(pid), None) == Err(Errno::ESRCH) {
        return Some(pid);
    }
    let started = start_time(pid)?;
    let recorded = record.epoch?;
    (started.abs_diff(recorded) <= 2).then_some(pid)
}

/// The worker named in `record` when it may still be alive: it exists and
/// did not start after the record was written (which a reused PID would).
/// A state file with such a worker is not stale even if its lock is gone.
pub fn worker_may_live(record: &Record) -> Option<i32> {
    // A worker that recorded ERROR is on its way out by design.
    let worker = record.worker.filter(|_| record.phase != Phase::Error)?;
    if !is_alive(worker) {
        return None;
    }
    match (start_time(worker), record.epoch) {
        (Some(started), Some(recorded)) if started > recorded + 2 => None,
        _ => Some(worker),
    }
}

/// Whether any process is left in process group `pgid`.
pub fn group_exists(pgid: i32) -> bool {
    !matches!(killpg(Pid::from_raw(pgid), None), Err(Errno::ESRCH))
}

/// Stops a leftover group as a worker would: the stop signal, `stop_sec`
/// of grace, then SIGKILL. Returns whether the group is gone.
pub fn stop_group(pgid: i32, settings: &Settings) -> bool {
    let group = Pid::from_raw(pgid);
    let _ = killpg(group, settings.stop_signal);
    let _ = killpg(group, Signal::SIGCONT);
    if wait_gone(pgid, Duration::from_secs(settings.stop_sec.into())) {
        return true;
    }
    let _ = killpg(group, Signal::SIGKILL);
    wait_gone(pgid, Duration::from_secs(5))
}

/// Polls, with a short growing interval, until group `pgid` is empty. These
/// processes are not our children, so there is nothing to block on.
fn wait_gone(pgid: i32, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    let mut pause = Duration::from_millis(1);
    loop {
        if !group_exists(pgid) {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        sleep(pause.min(deadline.saturating_duration_since(Instant::now())));
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

/// When process `pid` started, in seconds since the epoch.
#[cfg(target_os = "linux")]
pub fn start_time(pid: i32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: fields follow the last `)`.
    let rest = &stat[stat.rfind(')')? + 2..];
    let ticks: u64 = rest.split(' ').nth(19)?.parse().ok()?;
    let boot: u64 = std::fs::read_to_string("/proc/stat")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("btime "))?
        .trim()
        .parse()
        .ok()?;
    let hz = nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK).ok()??;
    Some(boot + ticks / u64::try_from(hz).ok()?)
}

/// Whether process `pid` exists and has not ended; a zombie awaiting its
/// parent counts as gone where the system can tell.
pub fn is_alive(pid: i32) -> bool {
    nix::sys::signal::kill(Pid::from_raw(pid), None) != Err(Errno::ESRCH) && !is_zombie(pid)
}

/// Whether `pid` has ended and waits for its parent to collect it.
#[cfg(target_os = "linux")]
pub fn is_zombie(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z'))
    })
}

#[cfg(not(target_os = "linux"))]
pub fn is_zombie(_pid: i32) -> bool {
    false
}

/// Without a portable way to read a process's start time, a live leader can
/// not be proven ours, and is left alone.
#[cfg(not(target_os = "linux"))]
pub fn start_time(_pid: i32) -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_own_start_time_is_recent() {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        if let Some(t) = start_time(std::process::id() as i32) {
            assert!(t <= now + 2 && now - t < 3600, "start {t}, now {now}");
        }
    }

    #[test]
    fn a_stop_record_has_no_leftover() {
        let r = Record {
            phase: Phase::Stop,
            code: Some(1),
            pid: Some(1),
            worker: None,
            epoch: Some(0),
        };
        assert_eq!(group(&r), None);
    }
}
