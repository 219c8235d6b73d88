//! What users and their files can get wrong: bad names, patterns and
//! settings, scripts that cannot run, planted symbolic links, colour
//! choices, and a very large service directory.

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;
use std::process::Command;

use crate::harness::{World, run_bounded, wait_gone};

/// Whether `text` names `name`, as is or escaped (a tab shown as `\t`).
fn names(text: &str, name: &str) -> bool {
    text.contains(name) || text.contains(&name.escape_debug().to_string())
}

/// The entries of a directory, by name.
fn entries(dir: &Path) -> BTreeSet<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

/// Writes `text` to an executable file at `path`.
fn write_executable(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
}

#[test]
fn invalid_names_are_rejected_before_any_path_is_used() {
    let w = World::new();
    let ran = w.path("ran");
    let bait = format!("#!/bin/sh\ntouch '{}'\nexec sleep 1000\n", ran.display());
    // Something runnable wherever a bad name could lead if it were used as a path.
    write_executable(&w.root.join("x"), &bait);
    fs::create_dir(w.services.join("a")).unwrap();
    write_executable(&w.services.join("a").join("b"), &bait);
    for file in [".hidden", "a b", "a\tb", "a\nb"] {
        write_executable(&w.services.join(file), &bait);
    }
    let root_before = entries(&w.root);

    let bad = ["../x", "a/b", ".hidden", "a b", "a\tb", "a\nb", ".", ".."];
    for command in ["start", "stop", "restart"] {
        for name in bad {
            let run = w.reraise(&[command, name]);
            run.fails(1);
            assert!(
                names(&run.stderr, name),
                "`{command} {name:?}` does not name it:\n{run}"
            );
            assert!(run.stderr.contains("reraise: "), "{run}");
            assert!(run.stdout.is_empty(), "`{command} {name:?}` acted:\n{run}");
        }
        // One bad name among good ones spoils only itself.
        let run = w.reraise(&[command, "../x", "nothing-here"]);
        run.fails(1);
        assert!(
            names(&run.stderr, "../x") && run.stderr.contains("nothing-here"),
            "{run}"
        );
    }

    assert_eq!(
        entries(&w.states),
        BTreeSet::new(),
        "a worker was started, or a file made, for a bad name"
    );
    assert_eq!(
        entries(&w.root),
        root_before,
        "something was created beside the directories"
    );
    assert!(!ran.exists(), "a script was run through a bad name");
}

#[test]
fn invalid_settings_stop_the_start_of_that_service_only() {
    let w = World::new();
    let ran = w.path("ran");
    let cases = [
        ("bad-start", "config_start_sec=abc", "seconds"),
        ("bad-retry", "config_max_retry=-1", "whole number"),
        ("bad-stop-sec", "config_stop_sec=99999999", "seconds"),
        ("bad-signal", "config_stop_signal=NOPE", "signal"),
    ];
    for (name, setting, _) in cases {
        // The setting is on line 3.
        w.script(
            name,
            &format!(
                "# {name}\n{setting}\ntouch '{}'\nexec sleep 1000",
                ran.display()
            ),
        );
    }
    w.script("good", "exec sleep 1000");

    let run = w.reraise(&[
        "start",
        "bad-start",
        "bad-retry",
        "good",
        "bad-stop-sec",
        "bad-signal",
    ]);
    run.fails(1).says("good: start");
    for (name, setting, expected) in cases {
        let path = w.services.join(name).display().to_string();
        let line = run
            .stderr
            .lines()
            .find(|l| l.contains(setting))
            .unwrap_or_else(|| panic!("no error for {setting}:\n{run}"));
        for part in [name, path.as_str(), "line 3", "expected", expected] {
            assert!(
                line.contains(part),
                "the error about {setting} lacks {part:?}: {line}"
            );
        }
        assert!(!run.stdout.contains(&format!("{name}: start")), "{run}");
        assert_eq!(w.state(name), None, "{name} was started");
        assert_eq!(w.status_of(name).unwrap().0, "not-running");
    }
    assert_eq!(w.status_of("good").unwrap().0, "running");
    assert!(!ran.exists(), "a script with an invalid setting ran");
}

#[test]
fn an_unknown_setting_is_a_warning_naming_it_and_its_line_and_the_service_starts() {
    let w = World::new();
    let path = w.script(
        "typo",
        "config_start_sec=3\nconfig_start_secs=3\nexec sleep 1000",
    );
    let run = w.reraise(&["start", "typo"]);
    run.ok().says("typo: start");
    let line = run
        .stderr
        .lines()
        .find(|l| l.contains("config_start_secs"))
        .unwrap_or_else(|| panic!("no warning about config_start_secs:\n{run}"));
    for part in ["typo", "warning", "line 3", &path.display().to_string()] {
        assert!(line.contains(part), "the warning lacks {part:?}: {line}");
    }
    assert_eq!(w.status_of("typo").unwrap().0, "running");
}

#[test]
fn a_script_its_owner_cannot_execute_is_refused_with_a_chmod_hint() {
    let w = World::new();
    let ran = w.path("ran");
    for (name, mode) in [("plain", 0o644), ("others-only", 0o655)] {
        let path = w.script(name, &format!("touch '{}'\nexec sleep 1000", ran.display()));
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
        let run = w.reraise(&["start", name]);
        run.fails(1)
            .complains("chmod u+x")
            .complains(&path.display().to_string());
        assert!(run.stderr.contains(name), "{run}");
        assert_eq!(w.status_of(name).unwrap().0, "not-executable");
        assert_eq!(w.state(name), None);
    }
    assert!(!ran.exists());
}

#[test]
fn directories_unmatched_patterns_and_bad_patterns_are_errors_naming_them() {
    let w = World::new();
    fs::create_dir(w.services.join("subdir")).unwrap();
    w.script("real", "exec sleep 1000");

    let status = w.reraise(&["status"]);
    status.ok();
    assert!(
        !status.stdout.contains("subdir"),
        "a directory is not a service:\n{status}"
    );

    let run = w.reraise(&["start", "subdir"]);
    run.fails(1).complains("subdir");
    assert!(run.stdout.is_empty(), "{run}");
    assert!(entries(&w.states).is_empty(), "a directory was started");

    let run = w.reraise(&["start", "sub*"]);
    run.fails(1).complains("sub*");
    assert!(run.stdout.is_empty(), "{run}");

    for command in ["start", "stop", "restart"] {
        let run = w.reraise(&[command, "nomatch-*"]);
        run.fails(1).complains("nomatch-*");
        let run = w.reraise(&[command, "["]);
        run.fails(1);
        assert!(
            run.stderr
                .lines()
                .any(|l| l.contains("'['") || l.contains("\"[\"") || l.contains("`[`")),
            "`{command} [` does not name the pattern:\n{run}"
        );
    }
    // The other patterns are still processed.
    w.reraise(&["start", "[", "real", "nomatch-*"])
        .fails(1)
        .says("real: start");
    assert_eq!(w.status_of("real").unwrap().0, "running");
}

#[test]
fn a_script_that_cannot_be_executed_ends_in_error_126_or_127_without_hanging() {
    let w = World::new();
    write_executable(
        &w.services.join("no-interpreter"),
        "#!/nonexistent/interpreter\nexec sleep 1000\n",
    );
    // An interpreter that exists but is not executable: EACCES.
    write_executable(
        &w.services.join("bad-interpreter"),
        "#!/etc/passwd\nexec sleep 1000\n",
    );
    for name in ["no-interpreter", "bad-interpreter"] {
        let run = w.reraise(&["start", name]);
        assert!(run.code == 0 || run.code == 1, "{run}");
        let details = w.wait_for(name, "ERROR");
        let code: i32 = w
            .field(name, 1)
            .and_then(|c| c.parse().ok())
            .expect("an ERROR state has an exit code");
        assert!(
            code == 126 || code == 127,
            "{name} ended with {code}, not 126 or 127"
        );
        assert!(
            details.contains(&format!("exit {code}")),
            "{name}: {details}"
        );
        wait_gone(w.worker(name));
        assert_eq!(w.status_of(name).unwrap().0, "ERROR");
    }
}

#[test]
fn state_files_are_never_written_through_a_symbolic_link() {
    let w = World::new();
    w.script("svc", "exec sleep 1000");
    let target = w.path("target");
    // A valid state line: a product following the link would believe it.
    let precious = "ERROR 3 - - 1700000000\n";
    fs::write(&target, precious).unwrap();
    let link = w.states.join("svc");
    symlink(&target, &link).unwrap();

    let (word, details) = w.status_of("svc").unwrap();
    assert_eq!(
        word, "UNKNOWN",
        "a symbolic link is not a state file to trust: {details}"
    );

    w.reraise(&["start", "svc"]).ok().says("svc: start");
    assert_eq!(
        fs::read_to_string(&target).unwrap(),
        precious,
        "the state was written through the link"
    );
    assert!(
        fs::symlink_metadata(&link).unwrap().file_type().is_file(),
        "the link was not replaced by a state file"
    );
    assert_eq!(w.status_of("svc").unwrap().0, "running");
    w.reraise(&["stop", "svc"]).ok();
    assert_eq!(fs::read_to_string(&target).unwrap(), precious);

    // A link planted at the temporary name is refused too.
    w.script("other", "exec sleep 1000");
    let target2 = w.path("target2");
    fs::write(&target2, precious).unwrap();
    symlink(&target2, w.states.join(".other.new")).unwrap();
    let _ = w.reraise(&["start", "other"]);
    assert_eq!(
        fs::read_to_string(&target2).unwrap(),
        precious,
        "the state was written through a planted temporary link"
    );
}

/// `reraise status` with `args`, and environment variables set (`Some`) or
/// removed (`None`); its output is a pipe.
fn status_output(w: &World, args: &[&str], env: &[(&str, Option<&str>)]) -> String {
    let mut all = vec!["status"];
    all.extend_from_slice(args);
    let mut c = w.command(&all);
    for (var, value) in env {
        match value {
            Some(v) => c.env(var, v),
            None => c.env_remove(var),
        };
    }
    let run = run_bounded(c);
    run.ok().says("svc");
    run.stdout
}

/// Arguments, environment variables (`None` unsets one), whether coloured.
type Case<'a> = (&'a [&'a str], &'a [(&'a str, Option<&'a str>)], bool);

#[test]
fn colours_follow_color_no_color_and_clicolor_force() {
    let w = World::new();
    w.script("svc", "exec sleep 1000");
    let coloured = |s: &str| s.contains("\x1b[");
    let cases: [Case; 8] = [
        (&["--color", "always"], &[], true),
        (&["--color", "never"], &[], false),
        (&[], &[], false),
        (&[], &[("NO_COLOR", Some("1"))], false),
        (
            &[],
            &[("NO_COLOR", Some("")), ("CLICOLOR_FORCE", Some("1"))],
            true,
        ),
        (&[], &[("CLICOLOR_FORCE", Some("1"))], true),
        (
            &[],
            &[("NO_COLOR", Some("1")), ("CLICOLOR_FORCE", Some("1"))],
            false,
        ),
        (
            &["--color", "never"],
            &[("CLICOLOR_FORCE", Some("1"))],
            false,
        ),
    ];
    for (args, env, expected) in cases {
        let out = status_output(&w, args, env);
        assert_eq!(
            coloured(&out),
            expected,
            "status {args:?} with {env:?}: {out:?}"
        );
        if expected {
            // The name column stays plain, so `grep '^svc '` keeps working.
            assert!(out.starts_with("svc "), "{out:?}");
        }
    }
}

#[test]
fn status_of_a_thousand_services_lists_them_all_sorted_without_a_process_each() {
    let w = World::new();
    let mut names: Vec<String> = (0..1000)
        .map(|i| format!("svc-{:04}", (i * 7919) % 1000))
        .collect();
    for name in &names {
        w.script(name, "exec sleep 1000");
    }
    names.sort();
    let run = w.reraise(&["status"]);
    run.ok();
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 1000, "{run}");
    let shown: Vec<&str> = lines
        .iter()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(shown, names, "not every service, or not sorted");
    assert!(
        lines
            .iter()
            .all(|l| l.split_whitespace().nth(1) == Some("not-running")),
        "{run}"
    );

    // Count the processes and threads that `reraise status` makes, when strace can tell.
    if Command::new("strace").arg("-V").output().is_err() {
        eprintln!("strace is not installed: the fork count is not checked");
        return;
    }
    let trace = w.path("trace");
    let status = w.command(&["status"]);
    let mut c = Command::new("strace");
    c.args([
        "-f",
        "-qq",
        "-e",
        "trace=fork,vfork,clone,clone3",
        "-e",
        "signal=none",
        "-o",
    ])
    .arg(&trace)
    .arg(status.get_program());
    c.arg("status");
    for (var, value) in status.get_envs() {
        match value {
            Some(v) => c.env(var, v),
            None => c.env_remove(var),
        };
    }
    let traced = run_bounded(c);
    if traced.code != 0 && traced.stdout.is_empty() {
        eprintln!(
            "strace cannot trace here ({}): the fork count is not checked",
            traced.stderr.trim()
        );
        return;
    }
    traced.ok();
    assert_eq!(traced.stdout.lines().count(), 1000);
    let text = fs::read_to_string(&trace).unwrap();
    let spawned = text
        .lines()
        .filter(|l| l.contains("fork(") || l.contains("clone"))
        .count();
    assert!(
        spawned < 10,
        "status made {spawned} processes or threads for 1000 services:\n{text}"
    );
}
