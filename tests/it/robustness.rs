//! What must not go wrong around a worker: a deleted lock file, members a
//! service leaves behind, settings edited under a running service, and
//! descriptors of whoever ran `reraise start`.

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use crate::harness::{PATIENCE, World, alive, poll, run_bounded, wait_gone};

/// Workers of this world's services, found in /proc by their arguments.
fn workers(w: &World) -> Vec<i32> {
    let needle = w.services.display().to_string();
    fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            let cmdline = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let text = String::from_utf8_lossy(&cmdline);
            text.contains("auto-reraise") && text.contains(&needle) && alive(*pid)
        })
        .collect()
}

#[test]
fn a_deleted_lock_file_does_not_lead_to_a_second_worker() {
    let w = World::new();
    w.script("svc", "exec sleep 1000");
    w.reraise(&["start", "svc"]).ok();
    let worker = w.worker("svc");
    fs::remove_file(w.states.join(".svc.lock")).unwrap();
    w.reraise(&["start", "svc"])
        .fails(1)
        .complains("holds no lock")
        .complains(&worker.to_string());
    w.reraise(&["clean"]).fails(1).complains("svc");
    assert!(
        w.state("svc").is_some(),
        "clean removed a live worker's state file"
    );
    assert_eq!(workers(&w), [worker]);
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(worker),
        nix::sys::signal::Signal::SIGTERM,
    );
    wait_gone(worker);
}

#[test]
fn members_left_by_earlier_runs_are_killed_when_the_service_stops() {
    let w = World::new();
    let children = w.path("children");
    w.script(
        "leaky",
        &format!(
            "config_start_sec=1\nconfig_stop_sec=1\n\
             sh -c 'trap \"\" TERM; echo $$ >> \"{}\"; exec sleep 1000' &\n\
             exec sleep 2",
            children.display()
        ),
    );
    w.reraise(&["start", "leaky"]).ok();
    // The first run ends well after 2 s; wait for the second run's child.
    let pids = || -> Vec<i32> {
        fs::read_to_string(&children)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.parse().ok())
            .collect()
    };
    assert!(
        poll(PATIENCE, || pids().len() >= 2),
        "the service never ran twice: {:?}",
        pids()
    );
    w.reraise(&["stop", "leaky"]).ok();
    for pid in pids() {
        wait_gone(pid);
    }
}

#[test]
fn stop_waits_for_the_grace_of_the_running_instance_not_the_edited_script() {
    let w = World::new();
    let body = |grace: u32| format!("config_stop_sec={grace}\ntrap '' TERM\nexec sleep 1000");
    w.script("slow", &body(12));
    w.reraise(&["start", "slow"]).ok();
    let pid = w.pid("slow");
    // Edited to a short grace: it applies at the next start, not to this one.
    w.script("slow", &body(0));
    let began = Instant::now();
    w.reraise(&["stop", "slow"]).ok();
    assert!(
        began.elapsed().as_secs() >= 11,
        "the running instance's 12 s grace was cut short"
    );
    assert!(!alive(pid));
}

#[test]
fn descriptors_of_the_caller_do_not_reach_the_worker_or_the_service() {
    let w = World::new();
    w.script("svc", "exec sleep 1000");
    let marker = w.path("held-open");
    let mut c = Command::new("sh");
    c.arg("-c")
        .arg(format!(
            "exec 7>'{}'; exec \"$0\" start svc",
            marker.display()
        ))
        .arg(crate::harness::reraise_bin());
    c.env("RERAISE_DIR", &w.services)
        .env("RERAISE_PIDDIR", &w.states)
        .env("HOME", &w.home);
    run_bounded(c).ok();
    for pid in [w.worker("svc"), w.pid("svc")] {
        for fd in fs::read_dir(format!("/proc/{pid}/fd")).unwrap().flatten() {
            let target = fs::read_link(fd.path()).unwrap_or_default();
            assert_ne!(
                target,
                Path::new(&marker),
                "process {pid} holds the caller's descriptor {:?}",
                fd.file_name()
            );
        }
    }
}
