//! Completion scripts in the real shells: commands, options and service
//! names, read from the directories set in the shell when TAB is pressed.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::harness::{World, poll, run_bounded};

/// A world with three startable services, a hidden file, a script that is
/// not executable, and one service with a state file.
fn world() -> World {
    let w = World::new();
    for name in ["http-8000", "http-8001", "web"] {
        w.script(name, "exec sleep 1000");
    }
    fs::write(w.services.join("notes"), "not a service").unwrap();
    w.script(".hidden", "exec sleep 1000");
    fs::write(w.states.join("web"), "RUN - 1 1 1\n").unwrap();
    fs::write(w.states.join(".web.lock"), "").unwrap();
    w
}

/// `reraise completions SHELL`, saved in the world, as the shells load it.
fn script(w: &World, shell: &str, file: &str) -> PathBuf {
    let run = w.reraise(&["completions", shell]);
    run.ok();
    let dir = w.root.join(format!("completions-{shell}"));
    fs::create_dir_all(&dir).unwrap();
    let path = dir.join(file);
    fs::write(&path, &run.stdout).unwrap();
    path
}

#[track_caller]
fn require(program: &str) {
    if Command::new(program).arg("--version").output().is_err() {
        panic!("{program} is not installed: `apt-get install {program}` (.ci/run does)");
    }
}

/// What bash's completion function offers for `line` (the cursor at its end).
fn bash(w: &World, file: &Path, line: &str, dir: &Path) -> (Vec<String>, String) {
    let mut c = Command::new("bash");
    c.arg("--norc").arg("-c").arg(
        r#"source "$FILE"
read -ra COMP_WORDS <<< "$LINE"
[[ $LINE == *' ' ]] && COMP_WORDS+=('')
COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMP_LINE=$LINE; COMP_POINT=${#LINE}
fn=$(complete -p reraise | sed -n 's/.*-F \([^ ]*\).*/\1/p')
"$fn" reraise "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}""#,
    );
    c.env("FILE", file)
        .env("LINE", line)
        .env("RERAISE_DIR", dir)
        .env("RERAISE_PIDDIR", &w.states);
    c.env("PATH", "/usr/bin:/bin").env("HOME", &w.home);
    let run = run_bounded(c);
    run.ok();
    (
        run.stdout
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect(),
        run.stderr,
    )
}

#[test]
fn bash_completes_commands_options_and_services() {
    require("bash");
    let w = world();
    let file = script(&w, "bash", "reraise");
    let complete = |line: &str| bash(&w, &file, line, &w.services);
    assert_eq!(complete("reraise st").0, ["status", "start", "stop"]);
    assert_eq!(complete("reraise start h").0, ["http-8000", "http-8001"]);
    assert_eq!(
        complete("reraise start ").0,
        ["http-8000", "http-8001", "web"]
    );
    assert_eq!(complete("reraise --color never start w").0, ["web"]);
    assert_eq!(complete("reraise stop ").0, ["web"]);
    assert_eq!(complete("reraise restart ").0, ["web"]);
    assert_eq!(complete("reraise --color ").0, ["auto", "always", "never"]);
    let shells = complete("reraise completions ").0;
    assert!(
        ["bash", "zsh", "fish"]
            .iter()
            .all(|s| shells.contains(&(*s).to_owned())),
        "{shells:?}"
    );
    assert!(
        complete("reraise start --")
            .0
            .contains(&"--color".to_owned())
    );
    // Another RERAISE_DIR, a missing one, an empty one: other candidates or
    // none, and never a word on stderr.
    let other = w.path("other");
    fs::create_dir_all(&other).unwrap();
    assert_eq!(
        bash(&w, &file, "reraise start ", &other),
        (vec![], String::new())
    );
    assert_eq!(
        bash(&w, &file, "reraise start ", &w.path("missing")),
        (vec![], String::new())
    );
    w.script("zeta", "exit 0");
    fs::rename(w.services.join("zeta"), other.join("zeta")).unwrap();
    assert_eq!(bash(&w, &file, "reraise start ", &other).0, ["zeta"]);
}

/// What fish offers for `line`.
fn fish(w: &World, file: &Path, line: &str, dir: &Path) -> (Vec<String>, String) {
    let mut c = Command::new("fish");
    c.args(["--no-config", "-c", "source $FILE; complete -C $LINE"]);
    c.env("FILE", file)
        .env("LINE", line)
        .env("RERAISE_DIR", dir)
        .env("RERAISE_PIDDIR", &w.states);
    c.env("PATH", "/usr/bin:/bin").env("HOME", &w.home);
    let run = run_bounded(c);
    run.ok();
    let words = run
        .stdout
        .lines()
        .map(|l| l.split('\t').next().unwrap().to_owned())
        .collect();
    (words, run.stderr)
}

#[test]
fn fish_completes_commands_options_and_services() {
    require("fish");
    let w = world();
    let file = script(&w, "fish", "reraise.fish");
    let complete = |line: &str| fish(&w, &file, line, &w.services);
    assert_eq!(complete("reraise st").0, ["start", "status", "stop"]);
    assert_eq!(complete("reraise start h").0, ["http-8000", "http-8001"]);
    assert_eq!(
        complete("reraise start ").0,
        ["http-8000", "http-8001", "web"]
    );
    assert_eq!(complete("reraise stop ").0, ["web"]);
    assert_eq!(complete("reraise restart w").0, ["web"]);
    assert_eq!(
        complete("reraise status --color ").0,
        ["always", "auto", "never"]
    );
    assert_eq!(
        fish(&w, &file, "reraise start ", &w.path("missing")),
        (vec![], String::new())
    );
}

/// An interactive zsh in a private tmux server, typing as a person would.
struct Zsh {
    socket: String,
}

impl Zsh {
    fn start(w: &World, fpath: &Path) -> Zsh {
        let socket = format!(
            "reraise-it-{}-{}",
            std::process::id(),
            w.root.file_name().unwrap().to_string_lossy()
        );
        let shell = format!(
            "env -i HOME={} TERM=xterm PATH=/usr/bin:/bin RERAISE_DIR={} RERAISE_PIDDIR={} zsh -f",
            w.home.display(),
            w.services.display(),
            w.states.display()
        );
        let status = Command::new("tmux")
            .args([
                "-L",
                &socket,
                "new-session",
                "-d",
                "-x",
                "150",
                "-y",
                "40",
                &shell,
            ])
            .status()
            .unwrap();
        assert!(status.success(), "tmux cannot start zsh");
        let zsh = Zsh { socket };
        zsh.keys(&[
            &format!(
                "fpath=({} $fpath); autoload -Uz compinit; compinit -u; PS1='ready> '",
                fpath.display()
            ),
            "Enter",
        ]);
        zsh.wait_for("ready> ");
        zsh
    }

    fn keys(&self, keys: &[&str]) {
        let status = Command::new("tmux")
            .args(["-L", &self.socket, "send-keys", "-t", "0"])
            .args(keys)
            .status()
            .unwrap();
        assert!(status.success());
    }

    fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "capture-pane", "-p", "-t", "0"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    #[track_caller]
    fn wait_for(&self, text: &str) -> String {
        let mut screen = String::new();
        let seen = poll(Duration::from_secs(20), || {
            screen = self.screen();
            screen.contains(text)
        });
        assert!(seen, "zsh never showed {text:?}; the screen:\n{screen}");
        screen
    }

    /// Clears the screen and the line, so the next check sees only new text.
    fn reset(&self) {
        self.keys(&["C-u", "clear", "Enter"]);
        assert!(
            poll(Duration::from_secs(20), || self.screen().trim() == "ready>"),
            "{}",
            self.screen()
        );
    }
}

impl Drop for Zsh {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}

#[test]
fn zsh_completes_services_on_tab_and_follows_reraise_dir() {
    require("zsh");
    require("tmux");
    let w = world();
    let file = script(&w, "zsh", "_reraise");
    let zsh = Zsh::start(&w, file.parent().unwrap());
    zsh.keys(&["reraise start h", "Tab"]);
    zsh.wait_for("ready> reraise start http-800");
    zsh.keys(&["Tab"]);
    let screen = zsh.wait_for("http-8001");
    assert!(
        screen.contains("http-8000") && !screen.contains("notes"),
        "{screen}"
    );
    zsh.reset();
    zsh.keys(&["reraise stop ", "Tab"]);
    zsh.wait_for("ready> reraise stop web");
    zsh.reset();
    zsh.keys(&["reraise sta", "Tab"]);
    let screen = zsh.wait_for("status");
    assert!(screen.contains("start"), "{screen}");
    zsh.reset();
    // Changing RERAISE_DIR in the shell changes the candidates at once.
    let other = w.path("other");
    fs::create_dir_all(&other).unwrap();
    w.script("zeta", "exit 0");
    fs::rename(w.services.join("zeta"), other.join("zeta")).unwrap();
    zsh.keys(&[&format!("export RERAISE_DIR={}", other.display()), "Enter"]);
    zsh.reset();
    zsh.keys(&["reraise start ", "Tab"]);
    zsh.wait_for("ready> reraise start zeta");
}

#[test]
fn the_printed_scripts_are_the_committed_ones() {
    let w = World::new();
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("completions");
    if fs::read_dir(&committed).is_err() {
        eprintln!("skipped: {} is not readable here", committed.display());
        return;
    }
    for (shell, file) in [
        ("bash", "reraise.bash"),
        ("zsh", "_reraise"),
        ("fish", "reraise.fish"),
    ] {
        let printed = w.reraise(&["completions", shell]).stdout;
        let saved = fs::read_to_string(committed.join(file)).unwrap();
        assert_eq!(
            printed.trim_end(),
            saved.trim_end(),
            "{file} differs from `reraise completions {shell}`: run `cargo xtask codegen`"
        );
    }
}
