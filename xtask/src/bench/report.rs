//! The results table: one column per supervisor, ratios of reraise against
//! runsv and s6-supervise, and each target with whether it was met.

use super::measure::{Idle, MemStat};
use super::procs::Mem;

/// Everything measured for one supervisor.
#[derive(Debug, Default)]
pub struct Column {
    pub label: String,
    pub is_reraise: bool,
    pub binary_kb: Option<f64>,
    pub mem1: Option<MemStat>,
    pub mem50: Option<MemStat>,
    pub restart: Vec<f64>,
    pub uss_growth_kb: Option<f64>,
    pub idle: Option<Idle>,
    pub status50: Vec<f64>,
    pub status1000: Vec<f64>,
    pub start_cmd: Vec<f64>,
    pub start_all: Vec<f64>,
    pub stop_all: Vec<f64>,
    pub warm_up: Vec<f64>,
    pub warm_down: Vec<f64>,
}

pub fn median(v: &[f64]) -> Option<f64> {
    percentile(v, 0.5)
}

/// Nearest-rank percentile; the median of an even count is the mean of
/// the middle two.
pub fn percentile(v: &[f64], p: f64) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    if p == 0.5 && s.len().is_multiple_of(2) {
        return Some((s[s.len() / 2 - 1] + s[s.len() / 2]) / 2.0);
    }
    let rank = ((p * s.len() as f64).ceil() as usize).clamp(1, s.len());
    Some(s[rank - 1])
}

type Value = fn(&Column) -> Option<f64>;
/// A target: its wording, and the check of reraise's value given runsv's.
type Target = (&'static str, fn(f64, Option<f64>) -> Option<bool>);

struct Row {
    name: &'static str,
    value: Value,
    decimals: usize,
    target: Option<Target>,
}

const fn row(name: &'static str, decimals: usize, value: Value, target: Option<Target>) -> Row {
    Row {
        name,
        value,
        decimals,
        target,
    }
}

fn per(m: Option<MemStat>, f: fn(Mem) -> u64) -> Option<f64> {
    m.map(|m| f(m.total) as f64 / m.count as f64)
}

fn total(m: Option<MemStat>, f: fn(Mem) -> u64) -> Option<f64> {
    m.map(|m| f(m.total) as f64)
}

fn daemon(m: Option<MemStat>, f: fn(Mem) -> u64) -> Option<f64> {
    m.and_then(|m| m.daemon).map(|d| f(d) as f64)
}

const RSS: fn(Mem) -> u64 = |m| m.rss;
const PSS: fn(Mem) -> u64 = |m| m.pss;
const USS: fn(Mem) -> u64 = |m| m.uss;

fn below_runsv(v: f64, runsv: Option<f64>) -> Option<bool> {
    runsv.map(|r| v < r)
}

const SECTIONS: &[(&str, &[Row])] = &[
    (
        "Memory of the supervisor processes, kB (services excluded)",
        &[
            row("RSS per service, N=1", 0, |c| per(c.mem1, RSS), None),
            row("PSS per service, N=1", 0, |c| per(c.mem1, PSS), None),
            row("USS per service, N=1", 0, |c| per(c.mem1, USS), None),
            row(
                "RSS per service, N=50",
                1,
                |c| per(c.mem50, RSS),
                Some(("< runsv", below_runsv)),
            ),
            row(
                "PSS per service, N=50",
                1,
                |c| per(c.mem50, PSS),
                Some(("< runsv", below_runsv)),
            ),
            row(
                "USS per service, N=50",
                1,
                |c| per(c.mem50, USS),
                Some(("≤ 64 and ≤ 0.7× runsv", |v, r| {
                    if v > 64.0 {
                        Some(false)
                    } else {
                        r.map(|r| v <= 0.7 * r)
                    }
                })),
            ),
            row("RSS total, N=50", 0, |c| total(c.mem50, RSS), None),
            row("PSS total, N=50", 0, |c| total(c.mem50, PSS), None),
            row("USS total, N=50", 0, |c| total(c.mem50, USS), None),
            row(
                "central daemon RSS, N=50",
                0,
                |c| daemon(c.mem50, RSS),
                None,
            ),
            row(
                "central daemon PSS, N=50",
                0,
                |c| daemon(c.mem50, PSS),
                None,
            ),
            row(
                "central daemon USS, N=50",
                0,
                |c| daemon(c.mem50, USS),
                None,
            ),
            row(
                "supervisor USS growth over the restarts",
                0,
                |c| c.uss_growth_kb,
                None,
            ),
            row("supervisor binary size on disk", 0, |c| c.binary_kb, None),
        ],
    ),
    (
        "Restart after SIGKILL of a service that ran > 1 s, ms",
        &[
            row(
                "median",
                2,
                |c| median(&c.restart),
                Some(("< runsv", below_runsv)),
            ),
            row("p90", 2, |c| percentile(&c.restart, 0.9), None),
        ],
    ),
    (
        "Idle cost at N=50, over the idle window",
        &[
            row(
                "context switches, supervisors",
                0,
                |c| c.idle.map(|i| i.switches as f64),
                Some(("0", |v, _| Some(v == 0.0))),
            ),
            row(
                "CPU ticks, supervisors",
                0,
                |c| c.idle.map(|i| i.ticks as f64),
                Some(("0", |v, _| Some(v == 0.0))),
            ),
            row(
                "context switches, central daemon",
                0,
                |c| c.idle.and_then(|i| i.daemon_switches).map(|v| v as f64),
                None,
            ),
            row(
                "CPU ticks, central daemon",
                0,
                |c| c.idle.and_then(|i| i.daemon_ticks).map(|v| v as f64),
                None,
            ),
        ],
    ),
    (
        "Control, ms (medians)",
        &[
            row(
                "status, N=50 running",
                2,
                |c| median(&c.status50),
                Some(("≤ 2", |v, _| Some(v <= 2.0))),
            ),
            row(
                "status, N=1000 scripts, none running",
                2,
                |c| median(&c.status1000),
                Some(("≤ 20", |v, _| Some(v <= 20.0))),
            ),
            row(
                "start 50: the command returns",
                1,
                |c| median(&c.start_cmd),
                None,
            ),
            row(
                "start 50 with their supervisors: all started",
                1,
                |c| median(&c.start_all),
                Some(("≤ 100", |v, _| Some(v <= 100.0))),
            ),
            row(
                "stop 50 with their supervisors: all gone",
                1,
                |c| median(&c.stop_all),
                Some(("≤ 200", |v, _| Some(v <= 200.0))),
            ),
            row(
                "start 50, supervisors already up",
                1,
                |c| median(&c.warm_up),
                None,
            ),
            row(
                "stop 50, supervisors stay up",
                1,
                |c| median(&c.warm_down),
                None,
            ),
        ],
    ),
];

/// The table in Markdown. `cols` are the reraise builds first, then the
/// peers, with `runsv` and `s6-supervise` found by label.
pub fn table(cols: &[Column]) -> String {
    let find = |label: &str| cols.iter().find(|c| c.label == label);
    let runsv = find("runsv");
    let s6 = find("s6-supervise");
    let base = find("reraise (static)").or_else(|| cols.iter().find(|c| c.is_reraise));
    let short = |c: &Column| {
        c.label
            .trim_start_matches("reraise ")
            .trim_matches(['(', ')'])
            .to_owned()
    };
    let mut out = String::from("| measure | target |");
    for c in cols {
        out.push_str(&format!(" {} |", c.label));
    }
    let base_name = base.map_or(String::new(), short);
    out.push_str(&format!(
        " {base_name} / runsv | {base_name} / s6 | met |\n|---|---|"
    ));
    out.push_str(&"---:|".repeat(cols.len() + 2));
    out.push_str("---|\n");
    for (title, rows) in SECTIONS {
        out.push_str(&format!("| **{title}** |{}\n", " |".repeat(cols.len() + 4)));
        for r in *rows {
            out.push_str(&line(r, cols, base, runsv, s6, &short));
        }
    }
    out
}

fn line(
    r: &Row,
    cols: &[Column],
    base: Option<&Column>,
    runsv: Option<&Column>,
    s6: Option<&Column>,
    short: &dyn Fn(&Column) -> String,
) -> String {
    let fmt = |v: Option<f64>| v.map_or_else(|| "—".to_owned(), |v| format!("{v:.*}", r.decimals));
    let mut s = format!("| {} | {} |", r.name, r.target.map_or("", |t| t.0));
    for c in cols {
        s.push_str(&format!(" {} |", fmt((r.value)(c))));
    }
    let ratio = |peer: Option<&Column>| match (
        base.and_then(|b| (r.value)(b)),
        peer.and_then(|p| (r.value)(p)),
    ) {
        // Ratios of counts that can be zero or negative say nothing.
        (Some(a), Some(b)) if a > 0.0 && b > 0.0 => match a / b {
            q if q < 0.1 => format!("{q:.3}×"),
            q => format!("{q:.2}×"),
        },
        _ => "—".to_owned(),
    };
    s.push_str(&format!(" {} | {} |", ratio(runsv), ratio(s6)));
    let runsv_value = runsv.and_then(|c| (r.value)(c));
    let verdicts: Vec<String> = match r.target {
        None => Vec::new(),
        Some((_, check)) => cols
            .iter()
            .filter(|c| c.is_reraise)
            .map(|c| {
                let verdict = match (r.value)(c).map(|v| check(v, runsv_value)) {
                    Some(Some(true)) => "met",
                    Some(Some(false)) => "**not met**",
                    _ => "not checked",
                };
                format!("{}: {verdict}", short(c))
            })
            .collect(),
    };
    s.push_str(&format!(" {} |\n", verdicts.join(", ")));
    s
}
