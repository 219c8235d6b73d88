//! The benchmark's phases, each filling its part of the columns. Every
//! phase runs its supervisors from a fresh scratch directory and stops them
//! again, so each is measured alone (PSS depends on who else maps a page).

use std::path::Path;
use std::time::{Duration, Instant};

use super::control;
use super::measure::{self, settled};
use super::procs;
use super::report::Column;
use super::supervisors::{Instance, Kind};

/// How much of everything: a full run, or `--quick`.
pub struct Plan {
    pub restarts: usize,
    pub cycles: usize,
    pub status_runs: usize,
    pub idle: Duration,
}

/// Longer than reraise's `config_start_sec=1` in the scripts and than the
/// peers' one second between two starts of a service.
pub const MIN_RUN: Duration = Duration::from_millis(1200);

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Memory with one service.
pub fn single(kind: &Kind, scratch: &Path, col: &mut Column) -> Result<(), String> {
    let mut inst = Instance::create(kind, scratch, "n1", 1)?;
    inst.start()?;
    inst.wait_started()?;
    let tree = settled(&mut inst)?;
    procs::pause(Duration::from_millis(300))?;
    col.mem1 = Some(measure::memory(&tree)?);
    inst.stop(&tree)?;
    Ok(())
}

/// Restart latency, all supervisors running side by side, killed in turns.
pub fn restart(
    kinds: &[Kind],
    scratch: &Path,
    plan: &Plan,
    cols: &mut [&mut Column],
) -> Result<(), String> {
    let mut insts = Vec::new();
    for kind in kinds {
        let mut inst = Instance::create(kind, scratch, "restart", 1)?;
        inst.start()?;
        insts.push(inst);
    }
    for inst in &insts {
        inst.wait_started()?;
    }
    let results = measure::restarts(&mut insts, plan.restarts, MIN_RUN)?;
    for (col, r) in cols.iter_mut().zip(results) {
        col.restart = r.ms;
        col.uss_growth_kb = r.uss_growth_kb;
    }
    for inst in &mut insts {
        let tree = settled(inst)?;
        inst.stop(&tree)?;
    }
    Ok(())
}

/// Fifty services: start and stop in cycles, the supervisors taking turns
/// within each cycle so that other load on the machine hits them alike; in
/// the first cycle also memory, idle cost and status. A supervisor that
/// fails is noted and left out of the later cycles.
pub fn fifty(
    kinds: &[Kind],
    scratch: &Path,
    plan: &Plan,
    cols: &mut [&mut Column],
    notes: &mut Vec<String>,
) -> Result<(), String> {
    let mut insts = Vec::new();
    for kind in kinds {
        insts.push(Some(Instance::create(kind, scratch, "n50", 50)?));
    }
    for cycle in 0..plan.cycles {
        for (slot, col) in insts.iter_mut().zip(cols.iter_mut()) {
            let Some(inst) = slot else { continue };
            if let Err(e) = fifty_cycle(inst, plan, col, cycle == 0) {
                procs::check_interrupt()?;
                let what = format!("50 services, {}, cycle {}", inst.kind.label(), cycle + 1);
                eprintln!("bench: {what} failed: {e}");
                notes.push(format!("{what} failed: {e}"));
                *slot = None;
            }
        }
    }
    Ok(())
}

fn fifty_cycle(
    inst: &mut Instance,
    plan: &Plan,
    col: &mut Column,
    first: bool,
) -> Result<(), String> {
    let is_peer = !matches!(inst.kind, Kind::Reraise(_));
    inst.clear_marks()?;
    let t0 = Instant::now();
    let command = inst.start()?;
    inst.wait_started()?;
    col.start_all.push(ms(t0.elapsed()));
    if !is_peer {
        col.start_cmd.push(ms(command));
    }
    let mut tree = settled(inst)?;
    if first {
        procs::pause(Duration::from_millis(500))?;
        col.mem50 = Some(measure::memory(&tree)?);
        col.idle = Some(measure::idle(&tree, plan.idle)?);
        for _ in 0..plan.status_runs {
            let ran = inst.status()?;
            control::check_status(&inst.kind, &ran.stdout, 50)?;
            col.status50.push(ms(ran.took));
        }
    }
    let mut up_since = t0;
    if is_peer {
        procs::pause((up_since + MIN_RUN).saturating_duration_since(Instant::now()))?;
        inst.clear_marks()?;
        let t = Instant::now();
        inst.switch(false)?;
        inst.wait_gone(&tree.services)?;
        col.warm_down.push(ms(t.elapsed()));
        let t = Instant::now();
        inst.switch(true)?;
        inst.wait_started()?;
        col.warm_up.push(ms(t.elapsed()));
        up_since = t;
        tree = settled(inst)?;
    }
    // runsv and s6-supervise hold a service that dies younger than a
    // second for the rest of that second; let them run longer.
    procs::pause((up_since + MIN_RUN).saturating_duration_since(Instant::now()))?;
    let (_, gone) = inst.stop(&tree)?;
    col.stop_all.push(ms(gone));
    Ok(())
}

/// `reraise status` over 1000 starter scripts, none of them running.
pub fn thousand(kind: &Kind, scratch: &Path, plan: &Plan, col: &mut Column) -> Result<(), String> {
    let inst = Instance::create(kind, scratch, "n1000", 1000)?;
    for _ in 0..plan.status_runs {
        let ran = inst.status()?;
        let idle = ran
            .stdout
            .lines()
            .filter(|l| l.split_whitespace().nth(1) == Some("not-running"))
            .count();
        if idle != 1000 {
            return Err(format!(
                "status showed {idle} of 1000 services as not-running"
            ));
        }
        col.status1000.push(ms(ran.took));
    }
    Ok(())
}
