//! The raw measures: memory, idle cost and restart latency of the
//! supervisor processes (services excluded).

use std::time::{Duration, Instant};

use super::procs::{self, Mem, Proc, SIGKILL};
use super::supervisors::{Instance, Tree};

/// Memory of the supervisors of one instance.
#[derive(Debug, Clone, Copy)]
pub struct MemStat {
    /// Sum over the per-service supervisors, the daemon left out.
    pub total: Mem,
    pub count: usize,
    /// runsvdir or s6-svscan.
    pub daemon: Option<Mem>,
}

pub fn memory(tree: &Tree) -> Result<MemStat, String> {
    let read = |p: Proc| procs::memory(p.pid).ok_or_else(|| format!("PID {} ended", p.pid));
    let mut total = Mem::default();
    for &p in &tree.supervisors {
        total = total.add(read(p)?);
    }
    Ok(MemStat {
        total,
        count: tree.supervisors.len(),
        daemon: tree.daemon.map(read).transpose()?,
    })
}

/// Context switches and CPU ticks over an idle window.
#[derive(Debug, Clone, Copy, Default)]
pub struct Idle {
    pub switches: u64,
    pub ticks: u64,
    pub daemon_switches: Option<u64>,
    pub daemon_ticks: Option<u64>,
}

pub fn idle(tree: &Tree, window: Duration) -> Result<Idle, String> {
    let sample = |p: Proc| -> Result<(u64, u64), String> {
        let gone = || format!("PID {} ended while idle", p.pid);
        let ticks = procs::stat(p.pid).ok_or_else(gone)?.ticks;
        Ok((procs::switches(p.pid).ok_or_else(gone)?, ticks))
    };
    let sum = |ps: &[Proc]| -> Result<(u64, u64), String> {
        ps.iter().try_fold((0, 0), |(s, t), &p| {
            let (ds, dt) = sample(p)?;
            Ok((s + ds, t + dt))
        })
    };
    let daemon: Vec<Proc> = tree.daemon.into_iter().collect();
    let before = (sum(&tree.supervisors)?, sum(&daemon)?);
    procs::pause(window)?;
    let after = (sum(&tree.supervisors)?, sum(&daemon)?);
    if tree.all().iter().any(|p| !p.is_alive()) {
        return Err("a process ended during the idle window".into());
    }
    let has_daemon = tree.daemon.is_some();
    Ok(Idle {
        switches: after.0.0 - before.0.0,
        ticks: after.0.1 - before.0.1,
        daemon_switches: has_daemon.then(|| after.1.0 - before.1.0),
        daemon_ticks: has_daemon.then(|| after.1.1 - before.1.1),
    })
}

/// Restart latencies of one instance, and how much its supervisor's
/// private memory grew over them.
#[derive(Debug, Clone, Default)]
pub struct Restarts {
    pub ms: Vec<f64>,
    pub uss_growth_kb: Option<f64>,
}

/// Kills each instance's one service `samples` times with SIGKILL, in turns,
/// and times each from the kill to the new instance's marker. A service is
/// killed only after it has run `min_run`, longer than reraise's
/// `config_start_sec=1` and than runit's and s6's one second between starts.
pub fn restarts(
    insts: &mut [Instance],
    samples: usize,
    min_run: Duration,
) -> Result<Vec<Restarts>, String> {
    let mut out = vec![Restarts::default(); insts.len()];
    let mut started = vec![Instant::now(); insts.len()];
    let mut first_uss = vec![None; insts.len()];
    for _ in 0..samples {
        for (i, inst) in insts.iter_mut().enumerate() {
            procs::pause((started[i] + min_run).saturating_duration_since(Instant::now()))?;
            let tree = settled(inst)?;
            // The baseline is taken after the first restart, when the code
            // of the restart path has been paged in.
            if first_uss[i].is_none() && !out[i].ms.is_empty() {
                first_uss[i] = procs::memory(tree.supervisors[0].pid).map(|m| m.uss);
            }
            let name = inst.names[0].clone();
            inst.clear_marks()?;
            let t0 = Instant::now();
            procs::send(tree.services[0].pid, SIGKILL);
            let what = format!("{}: restart", inst.kind.label());
            procs::wait_for(
                &what,
                Duration::from_secs(10),
                Duration::from_micros(100),
                || inst.is_marked(&name),
            )?;
            out[i].ms.push(t0.elapsed().as_secs_f64() * 1e3);
            started[i] = Instant::now();
        }
    }
    for (i, inst) in insts.iter_mut().enumerate() {
        let tree = settled(inst)?;
        let last = procs::memory(tree.supervisors[0].pid).map(|m| m.uss);
        if let (Some(a), Some(b)) = (first_uss[i], last) {
            out[i].uss_growth_kb = Some(b as f64 - a as f64);
        }
    }
    Ok(out)
}

/// The instance's tree once every service has reached `sleep` (the marker
/// comes a few microseconds before the exec).
pub fn settled(inst: &mut Instance) -> Result<Tree, String> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match inst.tree() {
            Ok(t) => return Ok(t),
            Err(e) if Instant::now() > deadline => return Err(e),
            Err(_) => procs::pause(Duration::from_millis(2))?,
        }
    }
}
