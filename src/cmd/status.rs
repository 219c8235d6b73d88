//! `reraise status`: one line per service.

use std::time::{SystemTime, UNIX_EPOCH};

use owo_colors::OwoColorize;
use reraise::service::{self, Condition};
use reraise::state::Phase;

use crate::exit::{Exit, fail};
use crate::out::show;
use crate::style;

pub fn run(color: bool) -> Exit {
    let dirs = match super::dirs() {
        Ok(d) => d,
        Err(e) => return e,
    };
    let mut names = match service::scripts(&dirs) {
        Ok(n) => n,
        Err(e) => return fail(format!("cannot read {}: {e}", dirs.services.display())),
    };
    names.extend(service::with_state(&dirs).unwrap_or_default());
    names.sort();
    names.dedup();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let rows: Vec<(String, Condition)> = names
        .into_iter()
        .map(|n| {
            let c = service::examine(&dirs, &n);
            (n, c)
        })
        .collect();
    let name_width = rows
        .iter()
        .map(|(n, _)| n.chars().count())
        .max()
        .unwrap_or(0);
    let word_width = rows.iter().map(|(_, c)| c.word().len()).max().unwrap_or(0);
    // One write for the whole report: a thousand services, a thousand
    // system calls otherwise.
    let mut report = String::new();
    for (name, condition) in &rows {
        let word = condition.word();
        let padded = format!("{word:word_width$}");
        let shown = if color {
            padded.style(style::for_state(word)).to_string()
        } else {
            padded
        };
        let line = format!("{name:name_width$}  {shown}  {}", details(condition, now));
        report.push_str(line.trim_end());
        report.push('\n');
    }
    if !report.is_empty() {
        show(format_args!("{}", report.trim_end()));
    }
    Exit::Success
}

/// The third column.
fn details(condition: &Condition, now: u64) -> String {
    let ago = |since: Option<u64>| {
        since.map_or_else(|| "?".to_owned(), |s| elapsed(now.saturating_sub(s)))
    };
    let code = |c: Option<i32>| c.map_or_else(|| "?".to_owned(), |c| c.to_string());
    match condition {
        Condition::NotRunning => String::new(),
        Condition::NotExecutable => {
            "the starter script is not executable by its owner: chmod u+x it".to_owned()
        }
        Condition::Starting { worker, since } => format!("worker {worker}, {}", ago(*since)),
        Condition::Running {
            pid: Some(pid),
            worker,
            since,
        } => format!("pid {pid}, worker {worker}, up {}", ago(*since)),
        Condition::Running {
            pid: None, worker, ..
        } => format!("worker {worker}, state file missing"),
        Condition::Restarting {
            code: c,
            worker,
            since,
        } => {
            format!(
                "exit {}, worker {worker}, restarting, {} ago",
                code(*c),
                ago(*since)
            )
        }
        Condition::Failed { code: c, since } => format!("exit {}, {} ago", code(*c), ago(*since)),
        Condition::Stale { record } => {
            let worker = record
                .worker
                .map_or_else(|| "?".to_owned(), |w| w.to_string());
            let was = match (record.phase, record.pid) {
                (Phase::Run, Some(pid)) => format!("pid {pid}"),
                (phase, _) => phase.word().to_owned(),
            };
            format!(
                "worker {worker} is gone (was {was}): `reraise clean` or `reraise start` recovers"
            )
        }
        Condition::Unknown { reason } => reason.clone(),
    }
}

/// `HH:MM:SS`, or `D-HH:MM:SS` past a day.
pub fn elapsed(secs: u64) -> String {
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let hms = format!(
        "{:02}:{:02}:{:02}",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    );
    if days > 0 {
        format!("{days}-{hms}")
    } else {
        hms
    }
}

#[cfg(test)]
mod tests {
    use super::elapsed;

    #[test]
    fn elapsed_formats() {
        assert_eq!(elapsed(0), "00:00:00");
        assert_eq!(elapsed(3_725), "01:02:05");
        assert_eq!(elapsed(86_399), "23:59:59");
        assert_eq!(elapsed(86_400), "1-00:00:00");
        assert_eq!(elapsed(3 * 86_400 + 61), "3-00:01:01");
    }
}
