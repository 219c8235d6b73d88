//! A service's life under its worker: the retry policy, exit codes, every
//! state `status` can show, a worker that dies, and how the service starts.

use std::fs;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Barrier;
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::harness::{
    PATIENCE, World, alive, poll, reraise_bin, run_bounded, wait_file, wait_gone,
};

/// The lines of a file the services append to (none when it is missing).
fn lines(path: &Path) -> Vec<String> {
    fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The fields of /proc/PID/stat after the command name: 0 state, 1 ppid,
/// 2 pgrp, 3 session.
fn stat(pid: i32) -> Vec<String> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).expect("the process exists");
    let (_, rest) = text.rsplit_once(") ").unwrap();
    rest.split(' ').map(str::to_owned).collect()
}

/// Live processes (workers and services) that belong to this world: their
/// environment names its service directory. Commands are not counted, so
/// call this when no `reraise` of this world runs.
fn world_processes(w: &World) -> Vec<i32> {
    let needle = format!("RERAISE_DIR={}\0", w.services.display()).into_bytes();
    let mut found = Vec::new();
    for entry in fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<i32>().ok())
        else {
            continue;
        };
        let environ = fs::read(entry.path().join("environ")).unwrap_or_default();
        if alive(pid)
            && environ
                .windows(needle.len())
                .any(|w| w == needle.as_slice())
        {
            found.push(pid);
        }
    }
    found.sort();
    found
}

/// Replaces a starter script atomically, so that a shell still reading the
/// old one is not disturbed.
fn rewrite_script(w: &World, name: &str, body: &str) {
    let temp = w.services.join(format!(".{name}.tmp"));
    fs::write(&temp, format!("#!/bin/sh\n{body}\n")).unwrap();
    fs::set_permissions(&temp, fs::Permissions::from_mode(0o755)).unwrap();
    fs::rename(&temp, w.services.join(name)).unwrap();
}

fn sigkill(pid: i32) {
    kill(Pid::from_raw(pid), Signal::SIGKILL).unwrap();
}

/// A process the test started, killed and reaped however the test ends.
struct Helper(Child);

impl Drop for Helper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn quick_failures_after_a_good_run_are_retried_with_backoff_then_give_up_with_error() {
    let w = World::new();
    let starts = w.path("starts");
    // The first run is long (2 s >= start_sec); every later one fails at once.
    w.script(
        "flaky",
        &format!(
            "config_start_sec=1\nconfig_max_retry=2\n\
             echo \"$(date +%s%N)\" >> '{f}'\n\
             if [ \"$(wc -l < '{f}')\" -eq 1 ]; then sleep 2; exit 5; fi\n\
             exit 7",
            f = starts.display()
        ),
    );
    w.reraise(&["start", "flaky"]).ok().says("flaky: start");
    let worker = w.worker("flaky");
    // Run 1 was good, so run 2 follows at once. Run 2 fails quickly: the
    // first retry waits 2 * 0 s, run 3 follows at once. Run 3 fails quickly:
    // the second retry waits 2 * 1 s in `stop`, then run 4. Run 4 fails
    // quickly with both retries spent: ERROR.
    let mut last = None;
    let seen = poll(PATIENCE, || {
        last = w.status_of("flaky");
        lines(&starts).len() == 3
            && last
                .as_ref()
                .is_some_and(|(word, details)| word == "stop" && details.contains("exit 7"))
    });
    assert!(
        seen,
        "never saw `stop` with exit 7 after 3 starts; last {last:?}, starts {:?}",
        lines(&starts)
    );
    let (_, details) = last.unwrap();
    assert!(details.contains(&format!("worker {worker}")), "{details}");
    assert_eq!(w.field("flaky", 0).as_deref(), Some("STOP"));
    // Run 4 fails too, and max_retry (2) is spent: ERROR with its exit code.
    let details = w.wait_for("flaky", "ERROR");
    assert!(details.contains("exit 7"), "{details}");
    assert_eq!(w.field("flaky", 0).as_deref(), Some("ERROR"));
    assert_eq!(w.field("flaky", 1).as_deref(), Some("7"));
    wait_gone(worker);
    let times: Vec<u128> = lines(&starts).iter().map(|l| l.parse().unwrap()).collect();
    assert_eq!(
        times.len(),
        4,
        "one good run, two immediate restarts, one after the backoff: {times:?}"
    );
    let gap = |a: usize, b: usize| (times[b] - times[a]) / 1_000_000;
    assert!(
        gap(0, 1) >= 1900,
        "the first run lasted {} ms, not its 2 s",
        gap(0, 1)
    );
    assert!(
        gap(2, 3) >= 1900,
        "the second retry waited only {} ms, not 2 * 1 s",
        gap(2, 3)
    );
    // The worker is gone and the ERROR state file stays.
    assert_eq!(w.status_of("flaky").unwrap().0, "ERROR");
}

#[test]
fn a_quick_exit_on_the_very_first_start_is_an_error_even_with_status_zero() {
    let w = World::new();
    let (zero, three) = (w.path("zero"), w.path("three"));
    w.script("zero", &format!("echo run >> '{}'\nexit 0", zero.display()));
    w.script(
        "three",
        &format!("echo run >> '{}'\nexit 3", three.display()),
    );
    w.reraise(&["start", "zero", "three"])
        .ok()
        .says("zero: start")
        .says("three: start");
    let details = w.wait_for("zero", "ERROR");
    assert!(details.contains("exit 0"), "{details}");
    assert_eq!(w.field("zero", 1).as_deref(), Some("0"));
    let details = w.wait_for("three", "ERROR");
    assert!(details.contains("exit 3"), "{details}");
    assert_eq!(w.field("three", 1).as_deref(), Some("3"));
    for name in ["zero", "three"] {
        wait_gone(w.worker(name));
    }
    // No hot loop: nothing starts again (the one timed observation).
    let restarted = poll(Duration::from_millis(1500), || {
        lines(&zero).len() != 1 || lines(&three).len() != 1
    });
    assert!(
        !restarted,
        "started again after ERROR: zero {:?}, three {:?}",
        lines(&zero),
        lines(&three)
    );
    // A service in ERROR is started normally, and fails the same way.
    w.reraise(&["start", "zero"]).ok().says("zero: start");
    assert!(
        poll(PATIENCE, || lines(&zero).len() == 2),
        "{:?}",
        lines(&zero)
    );
    w.wait_for("zero", "ERROR");
}

#[test]
fn a_service_killed_by_a_signal_is_recorded_as_128_plus_the_signal_number() {
    let w = World::new();
    w.script("killed", "kill -KILL $$");
    w.script("termed", "kill -TERM $$");
    w.reraise(&["start", "killed", "termed"]).ok();
    let details = w.wait_for("killed", "ERROR");
    assert!(details.contains("exit 137"), "{details}");
    assert_eq!(w.field("killed", 1).as_deref(), Some("137"));
    let details = w.wait_for("termed", "ERROR");
    assert!(details.contains("exit 143"), "{details}");
    assert_eq!(w.field("termed", 1).as_deref(), Some("143"));
}

#[test]
fn status_shows_starting_with_the_worker_pid_while_a_live_lock_holder_wrote_start() {
    let w = World::new();
    w.script("slow", "exec sleep 1000");
    let lock = w.states.join(".slow.lock");
    let state = w.states.join("slow");
    // A stand-in worker: holds the POSIX record lock, writes START, lives on.
    let program = "import fcntl, os, sys, time\n\
        f = open(sys.argv[1], 'a')\n\
        fcntl.lockf(f, fcntl.LOCK_EX)\n\
        open(sys.argv[2] + '.tmp', 'w').write('START - - %d %d\\n' % (os.getpid(), int(time.time())))\n\
        os.rename(sys.argv[2] + '.tmp', sys.argv[2])\n\
        print('ready', flush=True)\n\
        time.sleep(1000)\n";
    let mut helper = Helper(
        Command::new("python3")
            .arg("-c")
            .arg(program)
            .arg(&lock)
            .arg(&state)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs"),
    );
    let mut said = String::new();
    BufReader::new(helper.0.stdout.take().unwrap())
        .read_line(&mut said)
        .unwrap();
    assert_eq!(said.trim(), "ready", "the stand-in worker did not come up");
    let pid = helper.0.id() as i32;
    let (word, details) = w.status_of("slow").unwrap();
    assert_eq!(word, "starting", "{details}");
    assert!(details.contains(&format!("worker {pid}")), "{details}");
    // The lock holder counts as a worker: no second one is launched.
    w.reraise(&["start", "slow"])
        .ok()
        .says("slow: skip (already running)");
    drop(helper);
    wait_gone(pid);
    let (word, details) = w.status_of("slow").unwrap();
    assert_eq!(word, "seems-not-running", "{details}");
}

#[test]
fn an_unreadable_state_file_is_unknown_and_clean_removes_it() {
    let w = World::new();
    fs::write(w.states.join("garbled"), "this is not a state line\n").unwrap();
    let (word, _) = w.status_of("garbled").unwrap();
    assert_eq!(word, "UNKNOWN");
    w.reraise(&["clean"]).ok().says("garbled: clean (UNKNOWN)");
    assert_eq!(w.state("garbled"), None);
    assert_eq!(
        w.status_of("garbled"),
        None,
        "a name with neither script nor state file is not listed"
    );
}

#[test]
fn a_killed_worker_takes_its_service_along_and_clean_and_start_recover() {
    let w = World::new();
    w.script("x", "exec sleep 1000");
    w.reraise(&["start", "x"]).ok();
    let (pid, worker) = (w.pid("x"), w.worker("x"));
    sigkill(worker);
    wait_gone(worker);
    let details = w.wait_for("x", "seems-not-running");
    assert!(details.contains(&worker.to_string()), "{details}");
    // Linux: the parent-death signal ends the service with its worker.
    wait_gone(pid);
    w.reraise(&["clean"])
        .ok()
        .says("x: clean (seems-not-running)");
    assert_eq!(w.state("x"), None);
    assert_eq!(w.status_of("x").unwrap().0, "not-running");
    w.reraise(&["start", "x"]).ok().says("x: start");
    let (new_pid, new_worker) = (w.pid("x"), w.worker("x"));
    assert_ne!(new_worker, worker);
    assert!(alive(new_pid) && alive(new_worker));
}

#[test]
fn start_and_clean_stop_a_service_left_running_by_a_dead_worker() {
    let w = World::new();
    let starts = w.path("starts");
    // Ignores SIGTERM, so the parent-death signal (the stop signal) does not end it.
    w.script(
        "stubborn",
        &format!(
            "config_stop_sec=1\ntrap '' TERM\necho $$ >> '{}'\nexec sleep 1000",
            starts.display()
        ),
    );
    w.reraise(&["start", "stubborn"]).ok();
    let (old, worker) = (w.pid("stubborn"), w.worker("stubborn"));
    // Once it has written its line, it ignores SIGTERM.
    wait_file(&starts);
    sigkill(worker);
    wait_gone(worker);
    assert!(
        alive(old),
        "the TERM-proof service should outlive its worker"
    );
    w.wait_for("stubborn", "seems-not-running");

    let run = w.reraise(&["start", "stubborn"]);
    run.ok()
        .says(&format!("stopping process group {old}"))
        .says("stubborn: start");
    assert!(!alive(old), "start left the old service {old} running");
    let (new, new_worker) = (w.pid("stubborn"), w.worker("stubborn"));
    assert_ne!(new, old);
    assert_eq!(world_processes(&w), {
        let mut v = vec![new, new_worker];
        v.sort();
        v
    });
    assert!(
        poll(PATIENCE, || lines(&starts).len() >= 2),
        "{:?}",
        lines(&starts)
    );
    assert_eq!(lines(&starts), [old.to_string(), new.to_string()]);

    // The same leftover, recovered by `clean` instead.
    sigkill(new_worker);
    wait_gone(new_worker);
    assert!(
        alive(new),
        "the TERM-proof service should outlive its worker"
    );
    let run = w.reraise(&["clean"]);
    run.ok()
        .says(&format!("stopping process group {new}"))
        .says("stubborn: clean (seems-not-running)");
    assert!(!alive(new), "clean left the service {new} running");
    assert_eq!(w.state("stubborn"), None);
    assert_eq!(world_processes(&w), Vec::<i32>::new());
}

#[test]
fn a_state_file_deleted_under_a_running_worker_does_not_lead_to_a_second_instance() {
    let w = World::new();
    let starts = w.path("starts");
    w.script(
        "x",
        &format!("echo $$ >> '{}'\nexec sleep 1000", starts.display()),
    );
    w.reraise(&["start", "x"]).ok();
    let (pid, worker) = (w.pid("x"), w.worker("x"));
    wait_file(&starts);
    fs::remove_file(w.states.join("x")).unwrap();
    w.reraise(&["start", "x"])
        .ok()
        .says("x: skip (already running)");
    let (word, details) = w.status_of("x").unwrap();
    assert_eq!(word, "running", "{details}");
    assert!(details.contains(&format!("worker {worker}")), "{details}");
    assert_eq!(lines(&starts), [pid.to_string()]);
    assert_eq!(world_processes(&w), {
        let mut v = vec![pid, worker];
        v.sort();
        v
    });
    w.reraise(&["stop", "x"]).ok().says("x: stop");
    assert!(
        !alive(pid) && !alive(worker),
        "service {pid} or worker {worker} outlived stop"
    );
    assert_eq!(w.status_of("x").unwrap().0, "not-running");
}

#[test]
fn concurrent_starts_end_with_exactly_one_worker() {
    let w = World::new();
    let starts = w.path("starts");
    w.script(
        "x",
        &format!("echo $$ >> '{}'\nexec sleep 1000", starts.display()),
    );
    const N: usize = 6;
    let barrier = Barrier::new(N);
    let runs: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..N)
            .map(|_| {
                s.spawn(|| {
                    let command = w.command(&["start", "x"]);
                    barrier.wait();
                    run_bounded(command)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for run in &runs {
        run.ok();
        assert!(
            run.stdout == "x: start\n" || run.stdout == "x: skip (already running)\n",
            "unexpected output:\n{run}"
        );
    }
    let started = runs.iter().filter(|r| r.stdout == "x: start\n").count();
    assert_eq!(started, 1, "{runs:#?}");
    let (pid, worker) = (w.pid("x"), w.worker("x"));
    // Workers that lost the race may still be on their way out.
    let mut last = Vec::new();
    let settled = poll(PATIENCE, || {
        last = world_processes(&w);
        last.len() <= 2
    });
    assert!(settled, "more than one worker or service: {last:?}");
    let mut expected = vec![pid, worker];
    expected.sort();
    assert_eq!(last, expected);
    wait_file(&starts);
    assert_eq!(lines(&starts), [pid.to_string()]);
}

#[test]
fn start_returns_at_once_from_a_pipe_without_a_terminal_and_the_worker_is_detached() {
    let w = World::new();
    w.script("x", "exec sleep 1000");
    let mut sh = Command::new("sh");
    sh.arg("-c")
        .arg(format!("'{}' start x | cat", reraise_bin().display()))
        .env("RERAISE_DIR", &w.services)
        .env("RERAISE_PIDDIR", &w.states)
        .env("HOME", &w.home)
        .stdin(Stdio::null());
    // SAFETY: setsid is async-signal-safe; it drops any controlling terminal.
    unsafe {
        sh.pre_exec(|| {
            nix::unistd::setsid()
                .map(drop)
                .map_err(std::io::Error::from)
        });
    }
    // run_bounded fails if a process kept the pipe open.
    run_bounded(sh).ok().says("x: start");
    let (pid, worker) = (w.pid("x"), w.worker("x"));
    assert!(
        alive(pid) && alive(worker),
        "the service did not outlive the pipeline"
    );
    let fields = stat(worker);
    assert_ne!(
        fields[1],
        std::process::id().to_string(),
        "the worker is a child of the test"
    );
    assert_eq!(
        fields[3],
        worker.to_string(),
        "the worker leads its own session"
    );
    assert_eq!(
        stat(pid)[3],
        worker.to_string(),
        "the service is in its worker's session"
    );
    assert_eq!(w.status_of("x").unwrap().0, "running");
}

#[test]
fn the_service_runs_in_home_with_the_directories_set_stdin_null_clean_signals_and_its_own_group() {
    let w = World::new();
    let out = w.path("env");
    w.script("env", &env_probe(&out));
    run_bounded(with_clean_signals(w.command(&["start", "env"]))).ok();
    let pid = w.pid("env");
    let report = wait_file(&out);
    let value = |key: &str| {
        report
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .map(|v| v.trim().to_owned())
            .unwrap_or_else(|| panic!("no {key} in\n{report}"))
    };
    assert_eq!(value("dir="), w.services.display().to_string());
    assert_eq!(value("piddir="), w.states.display().to_string());
    assert_eq!(
        value("cwd="),
        w.home.canonicalize().unwrap().display().to_string()
    );
    assert_eq!(value("stdin="), "/dev/null");
    assert_eq!(
        value("pid="),
        pid.to_string(),
        "the script's PID is the service's"
    );
    // The exec'd service itself (sleep) keeps all of that.
    assert_eq!(
        fs::read_link(format!("/proc/{pid}/fd/0")).unwrap(),
        Path::new("/dev/null")
    );
    assert_eq!(
        stat(pid)[2],
        pid.to_string(),
        "the service leads its own process group"
    );
    // Until the script has exec'd sleep it is a shell, and dash blocks every
    // signal for a moment around each vfork (here, of `mv`).
    let comm = format!("/proc/{pid}/comm");
    assert!(
        poll(PATIENCE, || fs::read_to_string(&comm)
            .is_ok_and(|c| c.trim() == "sleep")),
        "the service never exec'd sleep"
    );
    let status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    for key in ["SigBlk:", "SigIgn:"] {
        assert_eq!(
            value(key),
            "0000000000000000",
            "the script's {key}\n{report}"
        );
        let line = status.lines().find(|l| l.starts_with(key)).unwrap();
        assert!(line.ends_with("0000000000000000"), "the service's {line}");
    }
}

#[test]
fn the_service_gets_default_signal_actions_when_started_from_a_shell_that_ignores_some() {
    let w = World::new();
    let out = w.path("env");
    w.script("env", &env_probe(&out));
    // As in a background job (`reraise start x &`) or under nohup.
    let mut sh = Command::new("sh");
    sh.arg("-c")
        .arg(format!(
            "trap '' HUP INT QUIT; exec '{}' start env",
            reraise_bin().display()
        ))
        .env("RERAISE_DIR", &w.services)
        .env("RERAISE_PIDDIR", &w.states)
        .env("HOME", &w.home)
        .stdin(Stdio::null());
    run_bounded(with_clean_signals(sh)).ok().says("env: start");
    let pid = w.pid("env");
    let report = wait_file(&out);
    let ignored = report
        .lines()
        .find_map(|l| l.strip_prefix("SigIgn:"))
        .map(str::trim);
    assert_eq!(
        ignored,
        Some("0000000000000000"),
        "the service inherited ignored signals:\n{report}"
    );
    let status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("SigIgn:")).unwrap();
    assert!(line.ends_with("0000000000000000"), "{line}");
}

/// Makes `command` start with no signal ignored, whatever this test process
/// inherited: cargo leaves glibc's internal signal 32 ignored in it (glibc's
/// posix_spawn does that), and std's spawn adds 33, neither of which glibc's
/// `signal()` may touch. The raw system call may, in the forked child.
fn with_clean_signals(mut command: Command) -> Command {
    use nix::libc;
    // SAFETY: only raw rt_sigaction system calls, which are async-signal-safe;
    // an all-zero kernel `struct sigaction` is SIG_DFL with no flags.
    unsafe {
        command.pre_exec(|| {
            let default = [0u64; 4];
            for signal in 1..=64 {
                if signal != libc::SIGKILL && signal != libc::SIGSTOP {
                    libc::syscall(
                        libc::SYS_rt_sigaction,
                        signal,
                        default.as_ptr(),
                        std::ptr::null_mut::<u64>(),
                        8,
                    );
                }
            }
            Ok(())
        });
    }
    command
}

/// A starter script that reports its environment into `out`, then execs sleep.
fn env_probe(out: &Path) -> String {
    format!(
        "out='{}'\n\
         {{\n\
         echo \"dir=$RERAISE_DIR\"\n\
         echo \"piddir=$RERAISE_PIDDIR\"\n\
         echo \"cwd=$(pwd -P)\"\n\
         echo \"stdin=$(readlink /proc/self/fd/0)\"\n\
         echo \"pid=$$\"\n\
         grep -E '^(SigBlk|SigIgn):' /proc/self/status\n\
         }} > \"$out.tmp\"\n\
         mv \"$out.tmp\" \"$out\"\n\
         exec sleep 1000",
        out.display()
    )
}

#[test]
fn the_script_and_its_settings_are_read_again_before_every_start() {
    let w = World::new();
    let (starts, go, signals) = (w.path("starts"), w.path("go"), w.path("signals"));
    // Version 1 runs well (>= start_sec) and ends when the test says so.
    w.script(
        "x",
        &format!(
            "config_start_sec=1\n\
             echo v1 >> '{starts}'\n\
             sleep 1.5\n\
             while [ ! -e '{go}' ]; do sleep 0.05; done\n\
             exit 0",
            starts = starts.display(),
            go = go.display()
        ),
    );
    w.reraise(&["start", "x"]).ok();
    let worker = w.worker("x");
    assert!(
        poll(PATIENCE, || lines(&starts) == ["v1"]),
        "{:?}",
        lines(&starts)
    );
    // Version 2 asks to be stopped with SIGINT, and says which signal came.
    rewrite_script(
        &w,
        "x",
        &format!(
            "config_start_sec=1\n\
             config_stop_signal=INT\n\
             trap 'echo INT >> \"{sig}\"; exit 0' INT\n\
             trap 'echo TERM >> \"{sig}\"; exit 0' TERM\n\
             echo v2 >> '{starts}'\n\
             sleep 1000",
            sig = signals.display(),
            starts = starts.display()
        ),
    );
    fs::write(&go, "").unwrap();
    assert!(
        poll(PATIENCE, || lines(&starts).len() == 2),
        "{:?}",
        lines(&starts)
    );
    assert_eq!(
        lines(&starts),
        ["v1", "v2"],
        "the restart did not use the new script"
    );
    assert_eq!(w.worker("x"), worker, "the same worker restarts it");
    w.wait_for("x", "running");
    w.reraise(&["stop", "x"]).ok().says("x: stop");
    assert_eq!(
        lines(&signals),
        ["INT"],
        "the new config_stop_signal was not used"
    );
}
