//! A throwaway reraise installation per test: its own service and state
//! directories and home, the real binaries, and helpers that wait for states
//! by polling with a deadline.

#![allow(dead_code)]

use std::fs;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How long any single wait may take before a test fails instead of hanging.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// The directory holding the binaries under test: `RERAISE_TEST_BIN_DIR`
/// when the suite runs from a copy (as an unprivileged user), else cargo's.
pub fn bin_dir() -> PathBuf {
    match std::env::var_os("RERAISE_TEST_BIN_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_BIN_EXE_reraise"))
            .parent()
            .unwrap()
            .to_owned(),
    }
}

pub fn reraise_bin() -> PathBuf {
    bin_dir().join("reraise")
}

pub fn worker_bin() -> PathBuf {
    bin_dir().join("auto-reraise")
}

pub fn is_root() -> bool {
    nix::unistd::Uid::effective().is_root()
}

/// What a command printed and how it ended.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    #[track_caller]
    pub fn ok(&self) -> &Self {
        assert_eq!(self.code, 0, "expected success:\n{self}");
        self
    }

    #[track_caller]
    pub fn fails(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "expected exit {code}:\n{self}");
        self
    }

    #[track_caller]
    pub fn says(&self, text: &str) -> &Self {
        assert!(self.stdout.contains(text), "stdout lacks {text:?}:\n{self}");
        self
    }

    #[track_caller]
    pub fn complains(&self, text: &str) -> &Self {
        assert!(self.stderr.contains(text), "stderr lacks {text:?}:\n{self}");
        self
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// One test's reraise world. Dropping it stops every worker it started.
pub struct World {
    pub root: PathBuf,
    pub services: PathBuf,
    pub states: PathBuf,
    pub home: PathBuf,
    /// The `reraise` to run, when not the one under `bin_dir()`.
    pub bin: Option<PathBuf>,
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

impl World {
    pub fn new() -> World {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let root = std::env::temp_dir().join(format!("reraise-it-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        let world = World {
            services: root.join("services"),
            states: root.join("states"),
            home: root.join("home"),
            bin: None,
            root,
        };
        for d in [&world.services, &world.states, &world.home] {
            fs::create_dir_all(d).unwrap();
        }
        fs::set_permissions(&world.root, fs::Permissions::from_mode(0o755)).unwrap();
        world
    }

    /// Writes an executable `#!/bin/sh` starter script.
    pub fn script(&self, name: &str, body: &str) -> PathBuf {
        let path = self.services.join(name);
        fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    /// A `reraise` command set up for this world, not yet run.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(self.bin.clone().unwrap_or_else(reraise_bin));
        c.args(args)
            .env("RERAISE_DIR", &self.services)
            .env("RERAISE_PIDDIR", &self.states)
            .env("HOME", &self.home)
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR_FORCE")
            .stdin(Stdio::null());
        c
    }

    /// Runs `reraise ARGS` to the end, failing the test if it hangs.
    pub fn reraise(&self, args: &[&str]) -> Run {
        run_bounded(self.command(args))
    }

    /// The status line of `name`: its state word and details.
    pub fn status_of(&self, name: &str) -> Option<(String, String)> {
        let run = self.reraise(&["status"]);
        run.stdout.lines().find_map(|line| {
            let mut cols = line.split_whitespace();
            (cols.next() == Some(name)).then(|| {
                let word = cols.next().unwrap_or("").to_owned();
                (word, cols.collect::<Vec<_>>().join(" "))
            })
        })
    }

    /// Waits until `reraise status` shows `name` in state `word`.
    #[track_caller]
    pub fn wait_for(&self, name: &str, word: &str) -> String {
        let mut last = None;
        let found = poll(PATIENCE, || {
            last = self.status_of(name);
            last.as_ref().is_some_and(|(w, _)| w == word)
        });
        assert!(
            found,
            "{name} never became {word}; last seen {last:?}\n{}",
            self.reraise(&["status"])
        );
        last.unwrap().1
    }

    /// The raw state file of `name`.
    pub fn state(&self, name: &str) -> Option<String> {
        fs::read_to_string(self.states.join(name)).ok()
    }

    /// A field of the state file: 0 state, 1 exit code, 2 pid, 3 worker, 4 epoch.
    pub fn field(&self, name: &str, index: usize) -> Option<String> {
        self.state(name)?
            .split_whitespace()
            .nth(index)
            .map(str::to_owned)
    }

    /// The service's PID while it runs.
    #[track_caller]
    pub fn pid(&self, name: &str) -> i32 {
        self.wait_for(name, "running");
        self.field(name, 2)
            .and_then(|p| p.parse().ok())
            .expect("a running service has a pid")
    }

    /// The worker's PID from the state file.
    #[track_caller]
    pub fn worker(&self, name: &str) -> i32 {
        self.field(name, 3)
            .and_then(|p| p.parse().ok())
            .expect("a state file names its worker")
    }

    /// A file in this world's scratch area, for services to write to.
    pub fn path(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }
}

impl Drop for World {
    fn drop(&mut self) {
        // Stop what is still supervised, then make sure by PID: a failed test
        // must not leave processes behind for the next one.
        let _ = self.reraise(&["stop", "*"]);
        if let Ok(entries) = fs::read_dir(&self.states) {
            for entry in entries.flatten() {
                let text = fs::read_to_string(entry.path()).unwrap_or_default();
                let fields: Vec<&str> = text.split_whitespace().collect();
                for index in [3, 2] {
                    if let Some(pid) = fields.get(index).and_then(|p| p.parse::<i32>().ok()) {
                        kill_group_and_pid(pid);
                    }
                }
            }
        }
        let _ = fs::remove_dir_all(&self.root);
    }
}

fn kill_group_and_pid(pid: i32) {
    use nix::sys::signal::{Signal, kill, killpg};
    use nix::unistd::Pid;
    if pid > 1 && is_ours(pid) {
        let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
        let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
    }
}

/// Only processes whose command line mentions a reraise test world, so a
/// reused PID is never killed.
fn is_ours(pid: i32) -> bool {
    let cmdline = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let environ = fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
    let needle = b"reraise-it-";
    [cmdline, environ]
        .iter()
        .any(|b| b.windows(needle.len()).any(|w| w == needle))
}

/// Runs a command to its end with a deadline; a hang fails the test, and so
/// does a process left holding the command's stdout or stderr.
#[track_caller]
pub fn run_bounded(mut command: Command) -> Run {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    let deadline = Instant::now() + PATIENCE * 3;
    let (tx, rx) = std::sync::mpsc::channel();
    for (index, mut pipe) in [
        Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>,
        Box::new(child.stderr.take().unwrap()),
    ]
    .into_iter()
    .enumerate()
    {
        let tx = tx.clone();
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = pipe.read_to_string(&mut s);
            let _ = tx.send((index, s));
        });
    }
    let mut texts = [String::new(), String::new()];
    for _ in 0..2 {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok((index, text)) => texts[index] = text,
            Err(_) => {
                let _ = child.kill();
                panic!(
                    "{command:?}: its output was not closed within {:?} (a process kept it open)",
                    PATIENCE * 3
                );
            }
        }
    }
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{command:?} did not finish within {:?}", PATIENCE * 3);
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let [stdout, stderr] = texts;
    Run {
        code: status.code().unwrap_or(-1),
        stdout,
        stderr,
    }
}

/// Calls `done` until it is true or `within` passes.
pub fn poll(within: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    loop {
        if done() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether process `pid` exists (zombies count as gone).
pub fn alive(pid: i32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| !rest.starts_with('Z')),
        Err(_) => false,
    }
}

/// Waits until process `pid` is gone.
#[track_caller]
pub fn wait_gone(pid: i32) {
    assert!(
        poll(PATIENCE, || !alive(pid)),
        "process {pid} is still alive"
    );
}

/// Waits until `path` exists and returns its content.
#[track_caller]
pub fn wait_file(path: &Path) -> String {
    let mut text = None;
    assert!(
        poll(PATIENCE, || {
            text = fs::read_to_string(path).ok().filter(|t| !t.is_empty());
            text.is_some()
        }),
        "{} never appeared",
        path.display()
    );
    text.unwrap()
}

/// Creates system user `name` unless it exists (root only). Retries, since
/// parallel tests may hold the password file's lock.
pub fn ensure_user(name: &str) {
    for _ in 0..50 {
        if nix::unistd::User::from_name(name).ok().flatten().is_some() {
            return;
        }
        let _ = Command::new("useradd")
            .args(["--system", "--no-create-home", "--shell", "/bin/sh", name])
            .status();
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("cannot create user {name}");
}

/// Copies the binaries under test (and optionally more files) into a
/// directory every user can read, for tests that run as other users.
pub fn public_copy(dir: &Path, extra: &[&Path]) -> PathBuf {
    let bin = dir.join("bin");
    fs::create_dir_all(&bin).unwrap();
    for from in [reraise_bin(), worker_bin()]
        .iter()
        .map(PathBuf::as_path)
        .chain(extra.iter().copied())
    {
        let to = bin.join(from.file_name().unwrap());
        let status = Command::new("cp").arg(from).arg(&to).status().unwrap();
        assert!(status.success(), "cannot copy {}", from.display());
        fs::set_permissions(&to, fs::Permissions::from_mode(0o755)).unwrap();
    }
    fs::set_permissions(&bin, fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

/// Writes an executable file that something will exec without retrying,
/// through a child process. Written from this multi-threaded test process,
/// the open descriptor could leak into a child that another test forks at
/// that moment, and until that child execs, running the file fails with
/// "Text file busy" (ETXTBSY).
pub fn write_program(path: &Path, text: &str) {
    use std::io::Write;
    let mut child = Command::new("sh")
        .args(["-c", r#"cat > "$1" && chmod 755 "$1""#, "sh"])
        .arg(path)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    assert!(
        child.wait().unwrap().success(),
        "cannot write {}",
        path.display()
    );
}
