//! Running a service as the owner of its starter script, through sudo with
//! Debian's stock sudoers (env_reset, secure_path, use_pty). Needs root.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use crate::harness::{World, ensure_user, is_root, public_copy, run_bounded, wait_gone};

const OWNER: &str = "reraise-it-owner";
const OTHER: &str = "reraise-it-other";

fn skip_unless_root(test: &str) -> bool {
    if !is_root() {
        eprintln!("skipped {test}: switching users needs root (run the suite as root to cover it)");
        return true;
    }
    if Command::new("sudo").arg("-V").output().is_err() {
        panic!("sudo is not installed: `apt-get install sudo` (.ci/run does)");
    }
    false
}

/// A world whose state directory any user may write, with a script owned by `OWNER`.
fn shared_world() -> World {
    ensure_user(OWNER);
    let w = World::new();
    fs::set_permissions(&w.states, fs::Permissions::from_mode(0o1777)).unwrap();
    let script = w.script("svc", "config_start_sec=1\nconfig_stop_sec=2\necho \"$(id -un) $RERAISE_DIR $RERAISE_PIDDIR\" > \"$RERAISE_PIDDIR/.whoami\"\nexec sleep 1000");
    let owner = nix::unistd::User::from_name(OWNER).unwrap().unwrap();
    nix::unistd::chown(&script, Some(owner.uid), Some(owner.gid)).unwrap();
    let mut w = w;
    w.bin = Some(public_copy(&w.root, &[]).join("reraise"));
    w
}

fn uid_of(pid: i32) -> u32 {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn a_script_owned_by_another_user_runs_as_that_user() {
    if skip_unless_root("a_script_owned_by_another_user_runs_as_that_user") {
        return;
    }
    let w = shared_world();
    w.reraise(&["start", "svc"]).ok().says("svc: start");
    let (pid, worker) = (w.pid("svc"), w.worker("svc"));
    let owner = nix::unistd::User::from_name(OWNER)
        .unwrap()
        .unwrap()
        .uid
        .as_raw();
    assert_eq!(
        uid_of(worker),
        owner,
        "the worker runs as the script's owner"
    );
    assert_eq!(uid_of(pid), owner, "the service runs as the script's owner");
    // sudo's env_reset must not lose the directories.
    let said = crate::harness::wait_file(&w.states.join(".whoami"));
    assert_eq!(
        said.trim(),
        format!("{OWNER} {} {}", w.services.display(), w.states.display())
    );
    w.reraise(&["restart", "svc"]).ok().says("svc: restart");
    let new = w.pid("svc");
    assert_ne!(new, pid);
    w.reraise(&["stop", "svc"]).ok().says("svc: stop");
    wait_gone(new);
    wait_gone(worker);
}

#[test]
fn sudo_that_wants_a_password_is_reported_not_waited_for() {
    if skip_unless_root("sudo_that_wants_a_password_is_reported_not_waited_for") {
        return;
    }
    ensure_user(OTHER);
    let w = shared_world();
    // OTHER may not use sudo at all: with -n, sudo must fail at once.
    let mut c = Command::new("runuser");
    c.args(["-u", OTHER, "--"])
        .arg(w.bin.as_ref().unwrap())
        .args(["start", "svc"]);
    c.env("RERAISE_DIR", &w.services)
        .env("RERAISE_PIDDIR", &w.states)
        .env("HOME", &w.home);
    c.stdin(std::process::Stdio::null());
    let run = run_bounded(c);
    run.fails(1)
        .complains("svc")
        .complains(OWNER)
        .complains("sudo");
    assert_eq!(w.status_of("svc").unwrap().0, "not-running", "{run}");
}
