//! Processes as `/proc` shows them, signals sent by PID, and waits that
//! always end: at a deadline, or when the user interrupts the benchmark.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

pub const SIGHUP: i32 = 1;
pub const SIGINT: i32 = 2;
pub const SIGKILL: i32 = 9;
pub const SIGTERM: i32 = 15;

unsafe extern "C" {
    safe fn kill(pid: i32, sig: i32) -> i32;
    fn signal(signum: i32, handler: usize) -> usize;
}

/// Sends `sig` to the one process `pid`; never to a group or to everyone.
pub fn send(pid: i32, sig: i32) -> bool {
    pid > 1 && pid != std::process::id() as i32 && kill(pid, sig) == 0
}

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_interrupt(_: i32) {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// Turns Ctrl-C (and TERM, HUP) into an error at the next wait, so that the
/// cleanup guards run instead of leaving supervisors behind.
pub fn catch_interrupts() {
    for sig in [SIGINT, SIGTERM, SIGHUP] {
        let handler = on_interrupt as extern "C" fn(i32) as usize;
        // SAFETY: the handler only stores to an atomic, which is
        // async-signal-safe; exec resets it to the default in children.
        unsafe { signal(sig, handler) };
    }
}

pub fn check_interrupt() -> Result<(), String> {
    if INTERRUPTED.load(Ordering::SeqCst) {
        Err("interrupted".to_owned())
    } else {
        Ok(())
    }
}

/// Sleeps, in slices short enough to notice an interrupt.
pub fn pause(total: Duration) -> Result<(), String> {
    let end = Instant::now() + total;
    loop {
        check_interrupt()?;
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(());
        }
        std::thread::sleep(left.min(Duration::from_millis(50)));
    }
}

/// Polls `done` every `step` until it holds, and returns how long that took;
/// an error naming `what` at the deadline.
pub fn wait_for(
    what: &str,
    within: Duration,
    step: Duration,
    mut done: impl FnMut() -> bool,
) -> Result<Duration, String> {
    let start = Instant::now();
    loop {
        if done() {
            return Ok(start.elapsed());
        }
        check_interrupt()?;
        if start.elapsed() > within {
            return Err(format!("{what}: not done after {} s", within.as_secs_f64()));
        }
        std::thread::sleep(step);
    }
}

/// The fields of `/proc/PID/stat` the benchmark uses.
#[derive(Debug, Clone)]
pub struct Stat {
    pub pid: i32,
    pub comm: String,
    pub state: char,
    pub ppid: i32,
    /// utime + stime, in clock ticks.
    pub ticks: u64,
    /// Start time after boot, in clock ticks: with the PID, an identity
    /// that survives PID reuse.
    pub start: u64,
}

pub fn stat(pid: i32) -> Option<Stat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let rest: Vec<&str> = text.get(close + 2..)?.split(' ').collect();
    let field = |n: usize| rest.get(n - 3).and_then(|s| s.parse::<u64>().ok());
    Some(Stat {
        pid,
        comm: text[open + 1..close].to_owned(),
        state: rest.first()?.chars().next()?,
        ppid: rest.get(1)?.parse().ok()?,
        ticks: field(14)? + field(15)?,
        start: field(22)?,
    })
}

/// Every process on the system.
pub fn all() -> Vec<Stat> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(stat)
        .collect()
}

/// The live (not zombie) children of `pid` in a snapshot from [`all`].
pub fn children(table: &[Stat], pid: i32) -> Vec<&Stat> {
    table
        .iter()
        .filter(|s| s.ppid == pid && s.state != 'Z')
        .collect()
}

/// A process, identified so that a reused PID is not mistaken for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Proc {
    pub pid: i32,
    pub start: u64,
}

impl Proc {
    pub fn of(stat: &Stat) -> Proc {
        Proc {
            pid: stat.pid,
            start: stat.start,
        }
    }

    pub fn identify(pid: i32) -> Option<Proc> {
        stat(pid).map(|s| Proc::of(&s))
    }

    /// Whether it still runs: a zombie has ended, a new process under the
    /// same PID is someone else.
    pub fn is_alive(self) -> bool {
        stat(self.pid).is_some_and(|s| s.start == self.start && s.state != 'Z')
    }

    /// Signals it, unless it has ended.
    pub fn signal(self, sig: i32) {
        if self.is_alive() {
            send(self.pid, sig);
        }
    }
}

/// Memory in kB.
#[derive(Debug, Default, Clone, Copy)]
pub struct Mem {
    pub rss: u64,
    pub pss: u64,
    /// Private_Clean + Private_Dirty.
    pub uss: u64,
}

impl Mem {
    pub fn add(self, other: Mem) -> Mem {
        Mem {
            rss: self.rss + other.rss,
            pss: self.pss + other.pss,
            uss: self.uss + other.uss,
        }
    }
}

pub fn memory(pid: i32) -> Option<Mem> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    let mut mem = Mem::default();
    for line in text.lines() {
        let mut words = line.split_whitespace();
        let (Some(key), Some(kb)) = (words.next(), words.next()) else {
            continue;
        };
        let kb: u64 = kb.parse().unwrap_or(0);
        match key {
            "Rss:" => mem.rss += kb,
            "Pss:" => mem.pss += kb,
            "Private_Clean:" | "Private_Dirty:" => mem.uss += kb,
            _ => {}
        }
    }
    Some(mem)
}

/// Voluntary plus involuntary context switches so far.
pub fn switches(pid: i32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let mut sum = 0;
    for line in text.lines() {
        if let Some(n) = line
            .strip_prefix("voluntary_ctxt_switches:")
            .or_else(|| line.strip_prefix("nonvoluntary_ctxt_switches:"))
        {
            sum += n.trim().parse::<u64>().ok()?;
        }
    }
    Some(sum)
}

/// The processes whose working directory lies under `dir`: every supervisor
/// and service the benchmark starts runs in its scratch directory.
pub fn working_under(dir: &Path) -> Vec<Proc> {
    let me = std::process::id() as i32;
    all()
        .iter()
        .filter(|s| s.pid != me && s.state != 'Z')
        .filter(|s| {
            std::fs::read_link(format!("/proc/{}/cwd", s.pid))
                .is_ok_and(|cwd: PathBuf| cwd.starts_with(dir))
        })
        .map(Proc::of)
        .collect()
}
