//! Stopping and restarting: the stop signal to the whole process group,
//! `config_stop_sec` of grace, then SIGKILL; nothing of a service outlives
//! `reraise stop`.

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::harness::{PATIENCE, World, alive, poll, wait_file, wait_gone};

/// A lower bound for "took at least one second", with room for clock rounding.
const ABOUT_ONE_SECOND: Duration = Duration::from_millis(950);

/// An upper bound far above any normal stop and far below the
/// `config_stop_sec=30` the quick tests set: a stop slower than this
/// waited for the SIGKILL deadline, so the stop signal did not work.
const WELL_BEFORE_THE_KILL: Duration = Duration::from_secs(20);

/// Reads the PID that a service wrote to `path`.
#[track_caller]
fn pid_in(path: &Path) -> i32 {
    let text = wait_file(path);
    text.trim()
        .parse()
        .unwrap_or_else(|_| panic!("{} holds {text:?}, not a pid", path.display()))
}

/// The parent of process `pid`, while it exists.
fn parent_of(pid: i32) -> Option<i32> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(") ")?;
    rest.split(' ').nth(1)?.parse().ok()
}

/// Whether `pid` is a zombie: ended but not reaped by its parent.
fn zombie(pid: i32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            stat.rsplit_once(") ")
                .map(|(_, rest)| rest.starts_with('Z'))
        })
        .unwrap_or(false)
}

#[test]
fn stop_escalates_to_sigkill_after_config_stop_sec_when_the_service_ignores_the_stop_signal() {
    let w = World::new();
    let ready = w.path("ready");
    w.script(
        "stubborn",
        &format!(
            "config_stop_sec=1\ntrap '' TERM\necho $$ > '{}'\nexec sleep 1000",
            ready.display()
        ),
    );
    w.reraise(&["start", "stubborn"])
        .ok()
        .says("stubborn: start");
    let (pid, worker) = (w.pid("stubborn"), w.worker("stubborn"));
    // The script writes its PID once SIGTERM is ignored (and exec keeps that).
    assert_eq!(pid_in(&ready), pid);

    let began = Instant::now();
    w.reraise(&["stop", "stubborn"]).ok().says("stubborn: stop");
    let took = began.elapsed();

    assert!(
        took >= ABOUT_ONE_SECOND,
        "stop took {took:?}: it cannot have waited config_stop_sec=1"
    );
    assert!(
        !alive(pid),
        "the service {pid} ignoring SIGTERM outlived stop: no SIGKILL"
    );
    assert!(!alive(worker), "worker {worker} outlived stop");
    assert_eq!(w.state("stubborn"), None, "stop must remove the state file");
    assert_eq!(w.status_of("stubborn").unwrap().0, "not-running");
}

#[test]
fn stop_also_stops_the_background_children_of_the_service() {
    let w = World::new();
    let child = w.path("child");
    w.script(
        "parent",
        &format!(
            "config_stop_sec=30\nsleep 1000 &\necho $! > '{}'\nwait",
            child.display()
        ),
    );
    w.reraise(&["start", "parent"]).ok();
    let (pid, worker) = (w.pid("parent"), w.worker("parent"));
    let child = pid_in(&child);
    assert!(alive(child));

    let began = Instant::now();
    w.reraise(&["stop", "parent"]).ok().says("parent: stop");
    let took = began.elapsed();

    assert!(
        !alive(child),
        "the background child {child} outlived stop: the group was not signalled"
    );
    assert!(!alive(pid) && !alive(worker));
    assert!(
        took < WELL_BEFORE_THE_KILL,
        "stop took {took:?}: the child did not get SIGTERM, only the late SIGKILL"
    );
    assert_eq!(w.state("parent"), None);
}

#[test]
fn a_group_member_that_ignores_the_stop_signal_is_killed_after_config_stop_sec() {
    let w = World::new();
    let (child, stubborn) = (w.path("child"), w.path("stubborn"));
    // The script itself dies of SIGTERM at once; one of its children ignores
    // it. The worker must wait for the whole group, not just its leader.
    w.script(
        "mixed",
        &format!(
            "config_stop_sec=1\n\
             sleep 1000 &\n\
             echo $! > '{}'\n\
             export stubborn='{}'\n\
             sh -c 'trap \"\" TERM; echo $$ > \"$stubborn\"; exec sleep 1000' &\n\
             wait",
            child.display(),
            stubborn.display()
        ),
    );
    w.reraise(&["start", "mixed"]).ok();
    let (pid, worker) = (w.pid("mixed"), w.worker("mixed"));
    let child = pid_in(&child);
    // Written once the trap is set.
    let stubborn = pid_in(&stubborn);

    let began = Instant::now();
    w.reraise(&["stop", "mixed"]).ok().says("mixed: stop");
    let took = began.elapsed();

    assert!(
        !alive(stubborn),
        "group member {stubborn} ignoring SIGTERM outlived stop: no SIGKILL for the group"
    );
    assert!(!alive(child), "background child {child} outlived stop");
    assert!(!alive(pid) && !alive(worker));
    assert!(
        took >= ABOUT_ONE_SECOND,
        "stop took {took:?}: it did not wait config_stop_sec for the group"
    );
    assert_eq!(w.state("mixed"), None);
    assert_eq!(w.status_of("mixed").unwrap().0, "not-running");
}

/// A service that records the first of several signals it gets, then ends
/// with its child.
fn recording_script(setting: &str, out: &Path, ready: &Path) -> String {
    let mut body = format!("{setting}\nconfig_stop_sec=30\nsleep 1000 &\nchild=$!\n");
    for signal in ["TERM", "INT", "QUIT", "HUP", "USR1", "USR2"] {
        body += &format!(
            "trap 'echo {signal} > \"{}\"; kill $child; exit 0' {signal}\n",
            out.display()
        );
    }
    body += &format!("echo ready > '{}'\nwait $child", ready.display());
    body
}

#[test]
fn config_stop_signal_chooses_the_signal_that_asks_the_service_to_stop() {
    let w = World::new();
    let cases = [
        ("by-int", "config_stop_signal=INT", "INT"),
        ("by-usr1", "config_stop_signal=SIGUSR1  # a comment", "USR1"),
        ("by-hup", "config_stop_signal=hup", "HUP"),
        ("by-default", "", "TERM"),
    ];
    for (name, setting, _) in cases {
        let body = recording_script(
            setting,
            &w.path(&format!("{name}.got")),
            &w.path(&format!("{name}.ready")),
        );
        w.script(name, &body);
    }
    w.reraise(&["start", "by-*"]).ok();
    let mut pids = Vec::new();
    for (name, _, _) in cases {
        pids.push(w.pid(name));
        wait_file(&w.path(&format!("{name}.ready")));
    }

    let began = Instant::now();
    w.reraise(&["stop", "by-*"]).ok();
    let took = began.elapsed();

    for ((name, setting, expected), pid) in cases.iter().zip(pids) {
        let got = fs::read_to_string(w.path(&format!("{name}.got"))).unwrap_or_default();
        assert_eq!(
            got.trim(),
            *expected,
            "{name} with {setting:?} got the wrong signal (or none)"
        );
        assert!(!alive(pid));
    }
    assert!(
        took < WELL_BEFORE_THE_KILL,
        "stop took {took:?}: a service did not get its stop signal"
    );
}

#[test]
fn stop_star_stops_every_service_quickly_when_they_exit_on_sigterm() {
    let w = World::new();
    let names: Vec<String> = (0..10).map(|i| format!("svc-{i}")).collect();
    for name in &names {
        w.script(name, "config_stop_sec=30\nexec sleep 1000");
    }
    let run = w.reraise(&["start", "*"]);
    run.ok();
    let mut procs = Vec::new();
    for name in &names {
        run.says(&format!("{name}: start"));
        procs.push((w.pid(name), w.worker(name)));
    }

    let began = Instant::now();
    let run = w.reraise(&["stop", "*"]);
    let took = began.elapsed();
    run.ok();

    for (name, (pid, worker)) in names.iter().zip(procs) {
        run.says(&format!("{name}: stop"));
        assert!(!alive(pid), "{name}'s service {pid} outlived stop");
        assert!(!alive(worker), "{name}'s worker {worker} outlived stop");
        assert_eq!(w.state(name), None, "{name} kept its state file");
    }
    assert!(
        took < WELL_BEFORE_THE_KILL,
        "stop took {took:?}: some service was only SIGKILLed"
    );
    let status = w.reraise(&["status"]);
    assert_eq!(status.stdout.lines().count(), names.len(), "{status}");
    assert!(
        status
            .stdout
            .lines()
            .all(|l| l.split_whitespace().nth(1) == Some("not-running")),
        "{status}"
    );
}

#[test]
fn stop_then_start_works_at_once_again_and_again() {
    let w = World::new();
    w.script("flip", "exec sleep 1000");
    w.reraise(&["start", "flip"]).ok().says("flip: start");
    let (mut pid, mut worker) = (w.pid("flip"), w.worker("flip"));
    for round in 0..5 {
        w.reraise(&["stop", "flip"]).ok().says("flip: stop");
        assert!(
            !alive(pid) && !alive(worker),
            "round {round}: the old service or worker outlived stop"
        );
        let run = w.reraise(&["start", "flip"]);
        run.ok().says("flip: start");
        assert!(
            !run.stdout.contains("skip"),
            "round {round}: start saw the stopped worker:\n{run}"
        );
        let (new, new_worker) = (w.pid("flip"), w.worker("flip"));
        assert_ne!(new, pid, "round {round}");
        assert_ne!(new_worker, worker, "round {round}");
        (pid, worker) = (new, new_worker);
    }
}

#[test]
fn restart_of_a_service_ignoring_the_stop_signal_escalates_and_keeps_the_worker() {
    let w = World::new();
    let ready = w.path("ready");
    w.script(
        "stubborn",
        &format!(
            "config_stop_sec=1\ntrap '' TERM\necho $$ >> '{}'\nexec sleep 1000",
            ready.display()
        ),
    );
    w.reraise(&["start", "stubborn"]).ok();
    let (pid, worker) = (w.pid("stubborn"), w.worker("stubborn"));
    assert_eq!(pid_in(&ready), pid);

    let began = Instant::now();
    w.reraise(&["restart", "stubborn"])
        .ok()
        .says("stubborn: restart");
    let took = began.elapsed();

    assert!(
        took >= ABOUT_ONE_SECOND,
        "restart took {took:?}: it cannot have waited config_stop_sec=1"
    );
    assert!(
        !alive(pid),
        "the old instance {pid} ignoring SIGTERM survived the restart"
    );
    let new = w.pid("stubborn");
    assert_ne!(new, pid);
    assert_eq!(w.worker("stubborn"), worker, "a restart keeps the worker");
    assert!(alive(worker) && alive(new));
    // The new instance is the script again, with its trap: it wrote its PID.
    assert!(
        poll(PATIENCE, || fs::read_to_string(&ready)
            .unwrap_or_default()
            .lines()
            .any(|l| l == new.to_string())),
        "the new instance {new} did not run the script"
    );
}

/// Linux: the worker is the subreaper of its service, so a process orphaned
/// inside the service is adopted by the worker and reaped when it ends, and
/// its end is not mistaken for the service's.
#[cfg(target_os = "linux")]
#[test]
fn orphans_left_by_the_service_are_reaped_by_its_worker_without_disturbing_the_service() {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;

    let w = World::new();
    let orphan = w.path("orphan");
    // The inner shell exits at once, orphaning its background sleep.
    w.script(
        "leaver",
        &format!(
            "sh -c 'sleep 1000 & echo $! > \"{}\"'\nexec sleep 1000",
            orphan.display()
        ),
    );
    w.reraise(&["start", "leaver"]).ok();
    let orphan = pid_in(&orphan);
    let worker = w.worker("leaver");
    let pid = w.pid("leaver");
    assert!(
        poll(PATIENCE, || parent_of(orphan) == Some(worker)),
        "orphan {orphan} was adopted by {:?}, not by worker {worker}",
        parent_of(orphan)
    );

    kill(Pid::from_raw(orphan), Signal::SIGTERM).unwrap();
    wait_gone(orphan);
    // Dead now; only its parent's wait() makes the zombie go away.
    assert!(
        poll(PATIENCE, || !zombie(orphan)),
        "orphan {orphan} stays a zombie: worker {worker} does not reap adopted processes"
    );
    assert_eq!(w.status_of("leaver").unwrap().0, "running");
    assert_eq!(
        w.pid("leaver"),
        pid,
        "an orphan's end was taken for the service's"
    );
    assert_eq!(w.field("leaver", 0).as_deref(), Some("RUN"));
}
