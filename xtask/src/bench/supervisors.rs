//! The supervisors under test, each running `sleep` services from its own
//! scratch directory, and the few operations the measures need.
//!
//! Every service runs the same script: it creates a marker file (a shell
//! redirection, no fork) and `exec`s `sleep`, so "started" means the same
//! thing for all of them: the marker exists.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::build::Build;
use super::cleanup;
use super::command;
use super::procs::{self, Proc, SIGHUP, SIGTERM};

/// How long any single command or state change may take.
pub const DEADLINE: Duration = Duration::from_secs(30);

#[derive(Debug, Clone)]
pub enum Kind {
    Reraise(Build),
    Runit,
    S6,
}

impl Kind {
    pub fn label(&self) -> &str {
        match self {
            Kind::Reraise(b) => b.label,
            Kind::Runit => "runsv",
            Kind::S6 => "s6-supervise",
        }
    }

    fn tag(&self) -> String {
        self.label()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect()
    }
}

/// What runs under an instance: the central daemon (runsvdir, s6-svscan),
/// one supervisor per service, and the services.
#[derive(Debug, Default, Clone)]
pub struct Tree {
    pub daemon: Option<Proc>,
    pub supervisors: Vec<Proc>,
    pub services: Vec<Proc>,
}

impl Tree {
    pub fn all(&self) -> Vec<Proc> {
        let mut all: Vec<Proc> = self.daemon.into_iter().collect();
        all.extend(&self.supervisors);
        all.extend(&self.services);
        all
    }
}

/// One supervisor with `n` services in a scratch directory of its own.
pub struct Instance {
    pub kind: Kind,
    dir: PathBuf,
    /// Starter scripts (reraise) or the scan directory (runsvdir, s6-svscan).
    pub(super) services: PathBuf,
    states: PathBuf,
    marks: PathBuf,
    pub names: Vec<String>,
    daemon: Option<Child>,
    /// Everything ever seen running here, for the cleanup.
    seen: Vec<Proc>,
}

impl Instance {
    pub fn create(kind: &Kind, scratch: &Path, what: &str, n: usize) -> Result<Instance, String> {
        let dir = scratch.join(format!("{}-{what}", kind.tag()));
        let inst = Instance {
            kind: kind.clone(),
            services: dir.join("services"),
            states: dir.join("states"),
            marks: dir.join("marks"),
            dir,
            names: (1..=n).map(|i| format!("s{i:04}")).collect(),
            daemon: None,
            seen: Vec::new(),
        };
        for d in [&inst.services, &inst.states, &inst.marks, &inst.home()] {
            mkdir(d)?;
        }
        // An absolute path spares the shell a PATH search at every start.
        let sleep = command::which("sleep").ok_or("sleep is not on PATH")?;
        for name in &inst.names {
            let script = format!(
                "#!/bin/sh\nconfig_start_sec=1\n: > '{}'\nexec '{}' 100000\n",
                inst.marks.join(name).display(),
                sleep.display()
            );
            let path = match inst.kind {
                Kind::Reraise(_) => inst.services.join(name),
                Kind::Runit | Kind::S6 => {
                    mkdir(&inst.services.join(name))?;
                    inst.services.join(name).join("run")
                }
            };
            std::fs::write(&path, script).map_err(|e| format!("{}: {e}", path.display()))?;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
                .map_err(|e| format!("{}: {e}", path.display()))?;
        }
        Ok(inst)
    }

    fn home(&self) -> PathBuf {
        self.dir.join("home")
    }

    /// A reraise command in this instance's directories.
    pub(super) fn reraise(&self, build: &Build, args: &[&str]) -> Command {
        let mut c = Command::new(build.reraise());
        c.args(args)
            .env("RERAISE_DIR", &self.services)
            .env("RERAISE_PIDDIR", &self.states)
            .env("HOME", self.home())
            .env("NO_COLOR", "1")
            .current_dir(self.home());
        c
    }

    /// Starts every service: `reraise start '*'`, or the central daemon.
    /// Returns how long the command took (for a daemon: the spawn).
    pub fn start(&mut self) -> Result<Duration, String> {
        let program = match &self.kind {
            Kind::Reraise(b) => {
                let mut c = self.reraise(b, &["start", "*"]);
                return command::run(&mut c, DEADLINE).map(|r| r.took);
            }
            Kind::Runit => "runsvdir",
            Kind::S6 => "s6-svscan",
        };
        let start = std::time::Instant::now();
        // Its own process group: Ctrl-C reaches the benchmark alone, which
        // then stops the daemon in order.
        let child = Command::new(program)
            .arg(&self.services)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .map_err(|e| format!("cannot run {program}: {e}"))?;
        let took = start.elapsed();
        if let Some(p) = Proc::identify(child.id() as i32) {
            self.seen.push(p);
        }
        self.daemon = Some(child);
        Ok(took)
    }

    /// Forgets the markers, so that the next ones tell of new starts.
    pub fn clear_marks(&self) -> Result<(), String> {
        for name in &self.names {
            match std::fs::remove_file(self.marks.join(name)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(format!("{}: {e}", self.marks.display()));
                }
                _ => {}
            }
        }
        Ok(())
    }

    pub fn marked(&self) -> usize {
        std::fs::read_dir(&self.marks).map_or(0, |d| d.count())
    }

    pub fn is_marked(&self, name: &str) -> bool {
        self.marks.join(name).exists()
    }

    /// Waits until every service has started since the last `clear_marks`.
    pub fn wait_started(&self) -> Result<Duration, String> {
        let n = self.names.len();
        let what = format!("{}: {n} services started", self.kind.label());
        procs::wait_for(&what, DEADLINE, Duration::from_micros(500), || {
            self.marked() >= n
        })
    }

    /// Finds what runs now; an error unless every service runs `sleep`
    /// under its own supervisor.
    pub fn tree(&mut self) -> Result<Tree, String> {
        let table = procs::all();
        let mut tree = Tree::default();
        let supervisors: Vec<&procs::Stat> = match &self.kind {
            Kind::Reraise(_) => self
                .worker_pids()
                .into_iter()
                .filter_map(|pid| table.iter().find(|s| s.pid == pid && s.state != 'Z'))
                .collect(),
            Kind::Runit | Kind::S6 => {
                let Some(daemon) = self.daemon.as_ref().map(|c| c.id() as i32) else {
                    return Err(format!("{}: not started", self.kind.label()));
                };
                tree.daemon = table.iter().find(|s| s.pid == daemon).map(Proc::of);
                procs::children(&table, daemon)
            }
        };
        for sup in supervisors {
            tree.supervisors.push(Proc::of(sup));
            for svc in procs::children(&table, sup.pid) {
                if svc.comm == "sleep" {
                    tree.services.push(Proc::of(svc));
                }
            }
        }
        self.seen.extend(tree.all());
        self.seen.sort_by_key(|p| (p.pid, p.start));
        self.seen.dedup();
        let n = self.names.len();
        if tree.supervisors.len() != n || tree.services.len() != n {
            return Err(format!(
                "{}: expected {n} supervisors each running sleep, found {} supervisors and {} services",
                self.kind.label(),
                tree.supervisors.len(),
                tree.services.len()
            ));
        }
        Ok(tree)
    }

    /// Worker PIDs from the state files (field 4).
    fn worker_pids(&self) -> Vec<i32> {
        let Ok(dir) = std::fs::read_dir(&self.states) else {
            return Vec::new();
        };
        dir.flatten()
            .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .filter_map(|text| text.split_whitespace().nth(3)?.parse().ok())
            .collect()
    }

    /// Stops everything started by [`start`](Self::start): `reraise stop
    /// '*'`, or the daemon's own stop signal (runsvdir: HUP; s6-svscan:
    /// TERM), then waits until every process of `tree` is gone. Returns the
    /// command's time (reraise) and the time until all were gone.
    pub fn stop(&mut self, tree: &Tree) -> Result<(Option<Duration>, Duration), String> {
        let start = std::time::Instant::now();
        let command = match &self.kind {
            Kind::Reraise(b) => {
                let mut c = self.reraise(b, &["stop", "*"]);
                Some(command::run(&mut c, DEADLINE)?.took)
            }
            Kind::Runit | Kind::S6 => {
                let sig = if matches!(self.kind, Kind::Runit) {
                    SIGHUP
                } else {
                    SIGTERM
                };
                if let Some(d) = tree.daemon {
                    d.signal(sig);
                }
                None
            }
        };
        self.wait_gone(&tree.all())?;
        if let Some(mut d) = self.daemon.take() {
            let _ = d.wait();
        }
        Ok((command, start.elapsed()))
    }

    /// Waits until all of `procs` have ended.
    pub fn wait_gone(&mut self, procs: &[Proc]) -> Result<Duration, String> {
        let what = format!("{}: processes gone", self.kind.label());
        let daemon = &mut self.daemon;
        procs::wait_for(&what, DEADLINE, Duration::from_micros(500), || {
            // Reap the daemon as soon as it exits, or it stays a zombie.
            if let Some(d) = daemon.as_mut() {
                let _ = d.try_wait();
            }
            procs.iter().all(|p| !p.is_alive())
        })
    }
}

impl Drop for Instance {
    /// Ends whatever still runs: first politely, as a user would, then by
    /// SIGKILL to each PID seen here or working in this directory.
    fn drop(&mut self) {
        let _ = self.tree();
        let mut known = self.seen.clone();
        known.extend(procs::working_under(&self.dir));
        if known.iter().any(|p| p.is_alive()) {
            match &self.kind {
                Kind::Reraise(_) => {
                    for pid in self.worker_pids() {
                        if let Some(p) = known.iter().find(|p| p.pid == pid) {
                            p.signal(SIGTERM);
                        }
                    }
                }
                Kind::Runit | Kind::S6 => {
                    let sig = if matches!(self.kind, Kind::Runit) {
                        SIGHUP
                    } else {
                        SIGTERM
                    };
                    if let Some(d) = &self.daemon {
                        procs::send(d.id() as i32, sig);
                    }
                }
            }
            cleanup::settle(&known, Duration::from_secs(5));
            cleanup::end(&known, None, Duration::ZERO);
        }
        if let Some(mut d) = self.daemon.take() {
            let _ = d.kill();
            let _ = d.wait();
        }
        cleanup::sweep(&self.dir);
    }
}

fn mkdir(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))
}
