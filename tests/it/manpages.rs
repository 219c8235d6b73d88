//! The committed man pages lint clean and render at 80 columns.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::harness::run_bounded;

#[test]
fn man_pages_lint_clean_and_render() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("man");
    let Ok(entries) = fs::read_dir(&dir) else {
        eprintln!("skipped: {} is not readable here", dir.display());
        return;
    };
    let mut pages: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
    pages.sort();
    let names: Vec<String> = pages
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for expected in [
        "reraise.1",
        "reraise-start.1",
        "reraise-stop.1",
        "reraise-status.1",
        "auto-reraise.1",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "man/{expected} is missing: run `cargo xtask codegen`"
        );
    }
    for page in &pages {
        for (program, args) in [
            ("groff", &["-man", "-ww", "-z"][..]),
            ("mandoc", &["-Tlint", "-W", "warning"][..]),
        ] {
            if Command::new(program).arg("-v").output().is_err() {
                panic!(
                    "{program} is not installed: `apt-get install groff-base mandoc` (.ci/run does)"
                );
            }
            let mut c = Command::new(program);
            c.args(args).arg(page);
            let run = run_bounded(c);
            let complaints: Vec<&str> = run
                .stdout
                .lines()
                .chain(run.stderr.lines())
                .filter(|l| !l.contains("mandoc.db"))
                .collect();
            assert!(
                complaints.is_empty(),
                "{program} complains about {}:\n{}",
                page.display(),
                complaints.join("\n")
            );
        }
        let mut c = Command::new("man");
        c.args(["--warnings", "-l"])
            .arg(page)
            .env("MANWIDTH", "80")
            .env_remove("MAN_KEEP_FORMATTING");
        let run = run_bounded(c);
        assert_eq!(run.code, 0, "man cannot render {}:\n{run}", page.display());
        assert!(
            run.stderr.is_empty(),
            "man warns about {}:\n{run}",
            page.display()
        );
        assert!(run.stdout.contains("SEE ALSO"), "{}", page.display());
        assert!(
            run.stdout.lines().all(|l| l.chars().count() <= 80),
            "{} has lines wider than 80 columns",
            page.display()
        );
    }
}
