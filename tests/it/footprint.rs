//! A guard on the worker's footprint that cannot flake: it links neither
//! the command line's parser nor its colours, its dirty memory is small, and
//! restarting its service does not make it grow. The real figures, against
//! runit and s6, come from `cargo xtask bench`.

use crate::harness::{World, worker_bin};

#[test]
fn the_worker_links_neither_clap_nor_owo_colors() {
    let binary = std::fs::read(worker_bin()).unwrap();
    for crate_name in [
        &b"clap_builder"[..],
        b"clap_lex",
        b"owo_colors",
        b"clap_complete",
    ] {
        let found = binary.windows(crate_name.len()).any(|w| w == crate_name);
        assert!(
            !found,
            "auto-reraise contains {}",
            String::from_utf8_lossy(crate_name)
        );
    }
}

/// Dirty pages of `pid`, private or shared: a fork shares the worker's
/// private pages with its child for a moment, so their sum is the steady one.
fn dirty_kb(pid: i32) -> u64 {
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap();
    rollup
        .lines()
        .filter(|l| l.starts_with("Private_Dirty:") || l.starts_with("Shared_Dirty:"))
        .map(|l| l.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap())
        .sum()
}

#[test]
fn the_worker_stays_small_and_does_not_grow_with_restarts() {
    if !std::path::Path::new("/proc/self/smaps_rollup").exists() {
        eprintln!("skipped: no /proc/PID/smaps_rollup here");
        return;
    }
    let w = World::new();
    w.script("svc", "exec sleep 1000");
    w.reraise(&["start", "svc"]).ok();
    let worker = w.worker("svc");
    for _ in 0..3 {
        w.reraise(&["restart", "svc"]).ok();
    }
    let before = dirty_kb(worker);
    // Generous: a release worker has about 130 kB dirty, a debug one about as much.
    assert!(before < 1024, "the worker has {before} kB of dirty memory");
    for _ in 0..30 {
        w.reraise(&["restart", "svc"]).ok();
    }
    let after = dirty_kb(worker);
    assert!(
        after <= before + 16,
        "30 restarts grew the worker from {before} kB to {after} kB of dirty memory"
    );
}
