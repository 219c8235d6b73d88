//! Every command's ordinary use and its messages.

use std::process::Command;

use crate::harness::{World, alive, run_bounded, wait_gone};

#[test]
fn no_arguments_and_help_show_directories_services_and_a_tutorial() {
    let w = World::new();
    w.script("http-8000", "exec sleep 1000");
    for args in [&[][..], &["-h"], &["--help"]] {
        let run = w.reraise(args);
        run.ok()
            .says("RERAISE_DIR")
            .says(&w.services.display().to_string())
            .says(&w.states.display().to_string())
            .says("http-8000")
            .says("reraise start");
        assert!(run.stderr.is_empty(), "{run}");
    }
}

#[test]
fn version_and_usage_errors() {
    let w = World::new();
    w.reraise(&["--version"])
        .ok()
        .says(env!("CARGO_PKG_VERSION"));
    w.reraise(&["frobnicate"]).fails(2);
    w.reraise(&["start"]).fails(2);
    w.reraise(&["status", "--color", "sometimes"]).fails(2);
}

#[test]
fn missing_directories_are_named_with_the_variable_and_a_fix() {
    let w = World::new();
    let gone = w.path("nowhere");
    let run = run_bounded({
        let mut c = w.command(&["status"]);
        c.env("RERAISE_PIDDIR", &gone);
        c
    });
    run.fails(1)
        .complains("RERAISE_PIDDIR")
        .complains(&gone.display().to_string())
        .complains("mkdir -p");
    let run = run_bounded({
        let mut c = w.command(&["start", "x"]);
        c.env("RERAISE_DIR", &gone);
        c
    });
    run.fails(1).complains("RERAISE_DIR").complains("mkdir -p");
}

#[test]
fn list_shows_owner_and_group_and_skips_dot_files() {
    let w = World::new();
    w.script("web", "exec sleep 1000");
    w.script(".hidden", "exec sleep 1000");
    std::fs::create_dir(w.services.join("subdir")).unwrap();
    let run = w.reraise(&["list"]);
    run.ok();
    let me = nix::unistd::User::from_uid(nix::unistd::Uid::effective())
        .unwrap()
        .unwrap()
        .name;
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{run}");
    assert_eq!(
        lines[0].split_whitespace().take(2).collect::<Vec<_>>(),
        ["web", me.as_str()],
        "{run}"
    );
}

#[test]
fn skeleton_is_a_valid_shell_script_with_both_settings() {
    let w = World::new();
    let run = w.reraise(&["skeleton"]);
    run.ok()
        .says("#!/bin/sh")
        .says("config_start_sec=")
        .says("config_max_retry=")
        .says("exec ");
    let path = w.path("skeleton");
    std::fs::write(&path, &run.stdout).unwrap();
    let check = Command::new("sh").arg("-n").arg(&path).status().unwrap();
    assert!(check.success(), "sh -n rejects the skeleton");
}

#[test]
fn start_status_stop_round_trip() {
    let w = World::new();
    w.script("web-1", "exec sleep 1000");
    w.script("web-2", "exec sleep 1000");
    let run = w.reraise(&["start", "web-*"]);
    run.ok().says("web-1: start").says("web-2: start");
    // `start` returns only once the state is written: no waiting needed.
    let status = w.reraise(&["status"]);
    assert!(
        status.stdout.lines().all(|l| l.contains(" running ")),
        "{status}"
    );
    let (pid, worker) = (w.pid("web-1"), w.worker("web-1"));
    assert!(alive(pid) && alive(worker));
    w.reraise(&["start", "web-1"])
        .ok()
        .says("web-1: skip (already running)");
    w.reraise(&["stop", "web-*"])
        .ok()
        .says("web-1: stop")
        .says("web-2: stop");
    // `stop` returns only when both are gone.
    assert!(
        !alive(pid) && !alive(worker),
        "service {pid} or worker {worker} outlived stop"
    );
    assert_eq!(w.state("web-1"), None);
    assert_eq!(w.status_of("web-1").unwrap().0, "not-running");
    // So that `stop x && start x` always works.
    w.reraise(&["start", "web-1"]).ok().says("web-1: start");
}

#[test]
fn restart_gives_a_new_service_pid_under_the_same_worker() {
    let w = World::new();
    w.script("app", "config_start_sec=30\nexec sleep 1000");
    w.reraise(&["start", "app"]).ok();
    let (pid, worker) = (w.pid("app"), w.worker("app"));
    // Well within start_sec: an intentional restart is never a failure.
    w.reraise(&["restart", "app"]).ok().says("app: restart");
    let new = w.pid("app");
    assert_ne!(new, pid);
    assert_eq!(w.worker("app"), worker);
    wait_gone(pid);
    w.reraise(&["restart", "app"]).ok();
    assert_eq!(w.status_of("app").unwrap().0, "running");
}

#[test]
fn stop_and_restart_of_services_not_running_are_errors() {
    let w = World::new();
    w.script("idle", "exec sleep 1000");
    w.reraise(&["stop", "idle"])
        .fails(1)
        .complains("idle")
        .complains("not running");
    w.reraise(&["restart", "idle"]).fails(1).complains("idle");
    w.reraise(&["restart", "*"])
        .fails(1)
        .complains("matches no running service");
    assert_eq!(
        w.status_of("idle").unwrap().0,
        "not-running",
        "restart must not start a stopped service"
    );
}

#[test]
fn every_pattern_is_processed_and_any_failure_gives_status_1() {
    let w = World::new();
    w.script("a", "exec sleep 1000");
    w.script("b", "exec sleep 1000");
    let run = w.reraise(&["start", "nope", "a", "x*", "b"]);
    run.fails(1)
        .says("a: start")
        .says("b: start")
        .complains("nope")
        .complains("'x*'");
    let run = w.reraise(&["stop", "a", "nope"]);
    run.fails(1).says("a: stop").complains("nope");
    assert_eq!(w.status_of("b").unwrap().0, "running");
}

#[test]
fn clean_removes_state_files_of_dead_workers_and_says_which() {
    let w = World::new();
    w.script("fails", "exit 3");
    w.script("runs", "exec sleep 1000");
    w.reraise(&["start", "fails", "runs"]).ok();
    w.wait_for("fails", "ERROR");
    w.reraise(&["clean"]).ok().says("fails: clean (ERROR)");
    assert_eq!(w.state("fails"), None);
    assert!(
        w.state("runs").is_some(),
        "clean must keep a live worker's state"
    );
    w.reraise(&["clean"]).ok();
}

#[test]
fn status_piped_into_head_ends_quietly() {
    let w = World::new();
    for i in 0..200 {
        w.script(&format!("svc-{i:03}"), "exec sleep 1000");
    }
    let run = run_bounded({
        let mut c = Command::new("bash");
        c.arg("-c").arg(format!(
            "set -o pipefail; '{}' status | head -n 1",
            crate::harness::reraise_bin().display()
        ));
        c.env("RERAISE_DIR", &w.services)
            .env("RERAISE_PIDDIR", &w.states);
        c
    });
    run.ok();
    assert!(run.stderr.is_empty(), "{run}");
    assert_eq!(run.stdout.lines().count(), 1);
}

#[test]
fn start_reports_a_worker_that_did_not_come_up() {
    let mut w = World::new();
    w.script("svc", "exec sleep 1000");
    let bin = w.root.join("fake-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let copied = Command::new("cp")
        .arg(crate::harness::reraise_bin())
        .arg(bin.join("reraise"))
        .status()
        .unwrap();
    assert!(copied.success());
    crate::harness::write_program(
        &bin.join("auto-reraise"),
        "#!/bin/sh\necho 'auto-reraise: svc: the disk is on fire' >&2\nexit 1\n",
    );
    w.bin = Some(bin.join("reraise"));
    let run = w.reraise(&["start", "svc"]);
    run.fails(1)
        .complains("svc: the worker did not come up")
        .complains("the disk is on fire");
    assert!(!run.stdout.contains("svc: start"), "{run}");
}
