//! reraise's point is that it needs no root. When the suite runs as root
//! (as CI does), this test runs the whole suite again as an ordinary user.

use std::process::Command;

use crate::harness::{World, ensure_user, is_root, public_copy, run_bounded};

const USER: &str = "reraise-it-user";

#[test]
fn the_whole_suite_passes_as_an_unprivileged_user() {
    if !is_root() {
        eprintln!("skipped: already running as an unprivileged user");
        return;
    }
    ensure_user(USER);
    let w = World::new();
    let me = std::env::current_exe().unwrap();
    let bin = public_copy(&w.root, &[&me]);
    let mut c = Command::new("runuser");
    c.args(["-u", USER, "--"])
        .arg(bin.join(me.file_name().unwrap()));
    c.args(["--skip", "rootless", "--test-threads", "4"]);
    c.env("RERAISE_TEST_BIN_DIR", &bin)
        .env("HOME", &w.home)
        .env("TMPDIR", "/tmp")
        .current_dir("/tmp");
    let run = run_bounded(c);
    assert_eq!(run.code, 0, "the suite failed as {USER}:\n{run}");
    assert!(run.stdout.contains("test result: ok"), "{run}");
    eprintln!(
        "{}",
        run.stdout
            .lines()
            .filter(|l| l.starts_with("test result"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}
