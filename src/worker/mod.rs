//! `auto-reraise SERVICE`: one per service, keeps it running.
//!
//! It detaches, takes the service's lock for life, starts the service and
//! then only waits: every signal it cares about is blocked and taken with
//! `sigwait`, deadlines are an interval timer, so an idle worker never wakes.

mod child;
mod os;
pub mod policy;

use std::ffi::OsString;
use std::os::fd::OwnedFd;
use std::path::PathBuf;
use std::process::exit;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use nix::sys::signal::{SigSet, Signal, killpg};
use nix::unistd::{ForkResult, Pid, fork, setsid};

use crate::dirs::{self, Dirs};
use crate::leftover::group_exists;
use crate::liveness::{self, Refused};
use crate::settings::{self, Settings};
use crate::state::{Phase, Record, Writer};
use child::Child;
use policy::{Action, Event, Limits, Mode, Policy};

/// How often, and how many times, a group is looked at after SIGKILL.
const KILL_RECHECK: Duration = Duration::from_secs(1);
const KILL_CHECKS: u8 = 5;

/// Exit status when another worker already supervises the service.
pub const EXIT_BUSY: i32 = 3;

const USAGE: &str = "usage: auto-reraise [--dir RERAISE_DIR] [--piddir RERAISE_PIDDIR] SERVICE\n\
    Supervises one service of reraise; started by `reraise start`, see auto-reraise(1).\n";

/// The worker's entry point.
pub fn main(args: Vec<OsString>) -> ! {
    // A `reraise start` that went away must not kill us with SIGPIPE when we
    // report; the service gets default actions back before exec.
    // SAFETY: setting a signal to be ignored involves no handler code.
    let _ =
        unsafe { nix::sys::signal::signal(Signal::SIGPIPE, nix::sys::signal::SigHandler::SigIgn) };
    // Descriptors the caller left open (`reraise start x 7>file`) would stay
    // open in the worker and the service for their whole lives.
    os::close_inherited_fds();
    let (name, dirs) = parse_args(args);
    if let Some(problem) = crate::name::problem(&name) {
        fail(&name, problem);
    }
    let script = dirs.script(&name);
    if !script.is_file() {
        fail(&name, &format!("no starter script at {}", script.display()));
    }
    if !dirs.states.is_dir() {
        fail(
            &name,
            &format!(
                "state directory {} does not exist: create it with `mkdir -p`",
                dirs.states.display()
            ),
        );
    }
    // SAFETY: the worker is single-threaded; nothing reads the environment concurrently.
    unsafe {
        std::env::set_var("RERAISE_DIR", &dirs.services);
        std::env::set_var("RERAISE_PIDDIR", &dirs.states);
    }
    detach();
    let lock = match liveness::acquire(&liveness::lock_path(&dirs.states, &name)) {
        Ok(lock) => lock,
        Err(Refused::Busy(pid)) => {
            let by = pid.map(|p| format!(" (worker {p})")).unwrap_or_default();
            tell_caller(b"busy\n");
            eprintln!("auto-reraise: {name}: already running{by}");
            exit(EXIT_BUSY);
        }
        Err(Refused::Io(e)) => fail(
            &name,
            &format!(
                "cannot lock {} as user {}: {e}: the state directory must be writable by every owner of a starter script (`chmod 1777 {}`)",
                liveness::lock_path(&dirs.states, &name).display(),
                nix::unistd::Uid::effective(),
                dirs.states.display()
            ),
        ),
    };
    let mut worker = Worker::new(&name, &dirs, script, lock);
    worker.run()
}

fn parse_args(mut args: Vec<OsString>) -> (String, Dirs) {
    let mut dirs = Dirs::from_env();
    let mut name = None;
    args.reverse();
    while let Some(arg) = args.pop() {
        match arg.to_str() {
            Some("-h" | "--help") => {
                print!("{USAGE}");
                exit(0);
            }
            Some("-V" | "--version") => {
                println!("auto-reraise {}", env!("CARGO_PKG_VERSION"));
                exit(0);
            }
            Some(flag @ ("--dir" | "--piddir")) => {
                let Some(value) = args.pop() else {
                    usage(&format!("{flag} needs a directory"))
                };
                let value = std::path::absolute(PathBuf::from(value)).unwrap_or_default();
                if flag == "--dir" {
                    dirs.services = value
                } else {
                    dirs.states = value
                }
            }
            Some("--") => {}
            Some(s) if s.starts_with('-') => usage(&format!("unknown option {s}")),
            Some(s) if name.is_none() => name = Some(s.to_owned()),
            Some(_) => usage("only one service is supervised per worker"),
            None => usage("the service name is not valid UTF-8"),
        }
    }
    let Some(name) = name else {
        usage("which service? The name of a starter script is missing")
    };
    (name, dirs)
}

/// Writes a word for `reraise start` to stdout, unbuffered: std's stdout
/// would keep a buffer on the heap for the worker's whole life.
fn tell_caller(word: &[u8]) {
    // SAFETY: descriptor 1 stays open for the whole process.
    let stdout = unsafe { std::os::fd::BorrowedFd::borrow_raw(1) };
    let _ = nix::unistd::write(stdout, word);
}

fn usage(problem: &str) -> ! {
    eprint!("auto-reraise: {problem}\n{USAGE}");
    exit(2)
}

fn fail(name: &str, problem: &str) -> ! {
    eprintln!("auto-reraise: {name}: {problem}");
    exit(1)
}

/// Leaves the caller behind: a new process (so that `sudo` or the shell that
/// started us can return) in a new session, in the home directory, with the
/// worker's signals blocked for `sigwait`.
fn detach() {
    // SAFETY: single-threaded, so the child may run any code after fork.
    match unsafe { fork() } {
        Ok(ForkResult::Parent { .. }) => {
            // SAFETY: leaves without running destructors or flushing stdio,
            // which belong to the child now.
            unsafe { nix::libc::_exit(0) }
        }
        Ok(ForkResult::Child) => {}
        Err(e) => {
            eprintln!("auto-reraise: cannot fork: {e}");
            exit(1)
        }
    }
    let _ = setsid();
    if std::env::set_current_dir(dirs::home()).is_err() {
        let _ = std::env::set_current_dir("/");
    }
    os::block_signals(&watched());
    os::become_subreaper();
}

fn watched() -> SigSet {
    let mut set = SigSet::empty();
    for s in [
        Signal::SIGCHLD,
        Signal::SIGTERM,
        Signal::SIGINT,
        Signal::SIGQUIT,
        Signal::SIGHUP,
        Signal::SIGALRM,
    ] {
        set.add(s);
    }
    set
}

struct Worker {
    script: PathBuf,
    state: Writer,
    me: i32,
    settings: Settings,
    policy: Policy,
    child: Child,
    /// The running service's main process and when it started.
    leader: Option<(Pid, Instant)>,
    /// The service's process group, kept after its leader is reaped.
    group: Option<Pid>,
    deadline: Option<Instant>,
    /// The service's group before its last exit, when members outlived it.
    old_group: Option<Pid>,
    /// Re-checks done after SIGKILL, for a group that never empties.
    kill_checks: u8,
    lock: OwnedFd,
    /// The stop grace written in the lock file, rewritten only on change.
    recorded_grace: Option<u32>,
}

impl Worker {
    fn new(name: &str, dirs: &Dirs, script: PathBuf, lock: OwnedFd) -> Worker {
        let devnull = std::fs::File::open("/dev/null")
            .unwrap_or_else(|e| fail(name, &format!("cannot open /dev/null: {e}")));
        Worker {
            child: Child::new(&script, devnull.into()),
            script,
            state: Writer::new(&dirs.states, name),
            me: std::process::id() as i32,
            settings: Settings::default(),
            policy: Policy::new(),
            leader: None,
            group: None,
            deadline: None,
            old_group: None,
            kill_checks: 0,
            lock,
            recorded_grace: None,
        }
    }

    fn run(&mut self) -> ! {
        // `start` reports only a fork that failed, as an exit.
        if let Some(Event::Exited { status, .. }) = self.start() {
            self.record(Phase::Error, Some(status), None);
            eprintln!(
                "auto-reraise: cannot start {}: fork failed",
                self.script.display()
            );
            exit(1)
        }
        // Tell `reraise start` that the lock is held and the state written,
        // then let go of its pipe.
        tell_caller(b"ready\n");
        self.child.silence_stdio();
        let signals = watched();
        loop {
            let Ok(signal) = signals.wait() else { continue };
            match signal {
                Signal::SIGCHLD => self.reap(),
                Signal::SIGHUP => self.handle(Event::Restart),
                Signal::SIGALRM => self.alarm(),
                _ => self.handle(Event::Stop),
            }
        }
    }

    /// Runs one event, and whatever events its action causes at once.
    fn handle(&mut self, event: Event) {
        let mut next = Some(event);
        while let Some(event) = next {
            let limits = Limits {
                start_sec: self.settings.start_sec,
                max_retry: self.settings.max_retry,
            };
            let action = self.policy.step(event, limits);
            next = self.act(action);
            if next.is_none() && self.is_stopped() {
                next = Some(Event::GroupGone);
            }
        }
    }

    fn act(&mut self, action: Action) -> Option<Event> {
        match action {
            Action::Nothing => None,
            Action::Start => {
                self.disarm();
                self.start()
            }
            Action::Respawn { status, delay } => {
                self.record(Phase::Stop, Some(status), None);
                if delay == 0 {
                    self.start()
                } else {
                    self.arm(Duration::from_secs(delay.into()))
                }
            }
            Action::Fail { status } => {
                self.record(Phase::Error, Some(status), None);
                // Nothing will supervise what the service left behind.
                self.signal_group(Signal::SIGKILL);
                exit(1)
            }
            Action::Signal => {
                self.signal_group(self.settings.stop_signal);
                self.signal_group(Signal::SIGCONT);
                self.arm(Duration::from_secs(self.settings.stop_sec.into()))
            }
            Action::Kill => {
                self.signal_group(Signal::SIGKILL);
                // A killed member whose parent lives outside the group sends
                // us no SIGCHLD: look again, a few times, then give up.
                self.kill_checks = 0;
                self.arm(KILL_RECHECK)
            }
            Action::Finish => {
                self.signal_group(Signal::SIGKILL);
                self.state.remove();
                exit(0)
            }
        }
    }

    /// Whether a stop has nothing left to wait for.
    fn is_stopped(&self) -> bool {
        matches!(self.policy.mode, Mode::Stopping { .. })
            && self.leader.is_none()
            && self.group.is_none_or(|g| !group_exists(g.as_raw()))
    }

    /// Re-reads the settings and starts the service. Returns an event when
    /// the start failed at once.
    fn start(&mut self) -> Option<Event> {
        // A script edited into invalid settings keeps the last good ones:
        // `reraise start` reports such errors, the worker cannot.
        if let Ok(scan) = settings::read(&self.script)
            && scan.invalid.is_empty()
        {
            self.settings = scan.settings;
        }
        if self.recorded_grace != Some(self.settings.stop_sec) {
            liveness::record_grace(&self.lock, self.settings.stop_sec);
            self.recorded_grace = Some(self.settings.stop_sec);
        }
        self.record(Phase::Start, None, None);
        match self.child.spawn(self.me, self.settings.stop_signal) {
            Ok(pid) => {
                self.leader = Some((pid, Instant::now()));
                self.group = Some(pid);
                self.record(Phase::Run, None, Some(pid.as_raw()));
                None
            }
            Err(_) => Some(Event::Exited {
                status: 126,
                ran_ms: 0,
            }),
        }
    }

    /// Collects every ended child: the service, and on Linux any orphaned
    /// descendant that the kernel handed to us as its subreaper.
    fn reap(&mut self) {
        while let Some((pid, status)) = child::reap_one() {
            let Some((leader, since)) = self.leader else {
                continue;
            };
            if pid != leader {
                continue;
            }
            self.leader = None;
            if self.policy.mode == Mode::Running {
                // Whatever the service left in its group would otherwise run
                // on unsupervised beside the next instance: ask it to stop,
                // and remember the group so a stop or failure can kill it.
                self.signal_group(self.settings.stop_signal);
                if let Some(older) = self.old_group.replace(leader) {
                    let _ = killpg(older, Signal::SIGKILL);
                }
            }
            let ran_ms = u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX);
            self.handle(Event::Exited { status, ran_ms });
        }
        self.forget_empty_groups();
        if self.is_stopped() {
            self.handle(Event::GroupGone);
        }
    }

    /// Signals the service's process group, and what is left of the
    /// previous one. A group seen empty is forgotten first: its number may be
    /// given to an unrelated group later.
    fn signal_group(&mut self, signal: Signal) {
        self.forget_empty_groups();
        for group in [self.group, self.old_group].into_iter().flatten() {
            let _ = killpg(group, signal);
        }
    }

    fn forget_empty_groups(&mut self) {
        if self.old_group.is_some_and(|g| !group_exists(g.as_raw())) {
            self.old_group = None;
        }
        if self.leader.is_none() && self.group.is_some_and(|g| !group_exists(g.as_raw())) {
            self.group = None;
        }
    }

    fn record(&self, phase: Phase, code: Option<i32>, pid: Option<i32>) {
        let epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .ok();
        // A full disk must not stop supervision; the next change retries.
        let _ = self.state.write(&Record {
            phase,
            code,
            pid,
            worker: Some(self.me),
            epoch,
        });
    }

    /// Sets the one pending deadline. A zero delay is due at once.
    fn arm(&mut self, delay: Duration) -> Option<Event> {
        if delay.is_zero() {
            self.disarm();
            return Some(Event::Deadline);
        }
        self.deadline = Some(Instant::now() + delay);
        os::set_timer(delay);
        None
    }

    fn disarm(&mut self) {
        self.deadline = None;
        os::set_timer(Duration::ZERO);
    }

    /// SIGALRM: the deadline passed, or a stale timer fired; check the clock.
    fn alarm(&mut self) {
        let Some(deadline) = self.deadline else {
            return;
        };
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            self.deadline = None;
            self.handle(Event::Deadline);
            if let Mode::Stopping { killed: true, .. } = self.policy.mode {
                self.kill_checks += 1;
                if self.kill_checks >= KILL_CHECKS {
                    // Members that SIGKILL cannot end (zombies whose parent
                    // lives elsewhere) must not keep the worker forever.
                    self.handle(Event::GroupGone);
                } else {
                    self.signal_group(Signal::SIGKILL);
                    self.arm(KILL_RECHECK);
                }
            }
        } else {
            os::set_timer(left);
        }
    }
}
