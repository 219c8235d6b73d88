//! The `config_NAME=VALUE` lines of a starter script: parsed, never executed.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::str::FromStr;

use nix::sys::signal::Signal;

/// Settings are only looked for in the first 64 KiB of a script, so a large
/// binary executable used as a starter costs no more than a small script.
pub const SCAN_LIMIT: u64 = 64 * 1024;

/// A service's settings, with the defaults of the original tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// A run shorter than this many seconds is a failed start.
    pub start_sec: u32,
    /// Quick failures retried after the service once started well.
    pub max_retry: u32,
    /// Seconds between the stop signal and SIGKILL.
    pub stop_sec: u32,
    /// The signal that asks the service to stop.
    pub stop_signal: Signal,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            start_sec: 10,
            max_retry: 2,
            stop_sec: 10,
            stop_signal: Signal::SIGTERM,
        }
    }
}

/// A `config_` line whose value cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub line: usize,
    pub text: String,
    pub expected: &'static str,
}

/// What a scan of a script found: settings (defaults where a line was
/// missing or invalid), the invalid lines, and unknown `config_` names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scan {
    pub settings: Settings,
    pub invalid: Vec<Invalid>,
    pub unknown: Vec<(usize, String)>,
}

/// Reads and scans the settings of the script at `path`, streaming through
/// a small buffer: the worker does this before every start, and must not
/// grow its heap to the size of the script.
pub fn read(path: &Path) -> io::Result<Scan> {
    scan_from(File::open(path)?.take(SCAN_LIMIT))
}

/// Scans script text for settings. The last assignment of a name wins, as it
/// would in the shell.
pub fn scan(text: &[u8]) -> Scan {
    scan_from(text).expect("reading from memory cannot fail")
}

/// The longest setting line kept whole; a longer `config_` line is invalid.
const LINE_MAX: usize = 200;

fn scan_from(mut input: impl Read) -> io::Result<Scan> {
    let mut found = Scan::default();
    let (mut line, mut len, mut number, mut overlong) = ([0u8; LINE_MAX], 0, 1, false);
    let mut chunk = [0u8; 1024];
    loop {
        let n = match input.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        for &byte in &chunk[..n] {
            if byte == b'\n' {
                found.add_line(number, &line[..len], overlong);
                (len, number, overlong) = (0, number + 1, false);
            } else if len < LINE_MAX {
                line[len] = byte;
                len += 1;
            } else {
                overlong = true;
            }
        }
    }
    found.add_line(number, &line[..len], overlong);
    Ok(found)
}

impl Scan {
    /// Takes in line `number` of a script (its first `LINE_MAX` bytes).
    fn add_line(&mut self, number: usize, raw: &[u8], overlong: bool) {
        let Some(rest) = raw.strip_prefix(b"config_") else {
            return;
        };
        let rest = String::from_utf8_lossy(rest);
        let Some((name, value)) = rest.split_once('=') else {
            return;
        };
        if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return;
        }
        let value = unquote(strip_comment(value).trim());
        let s = &mut self.settings;
        let result = match name {
            _ if overlong => Err("a short value: the line is too long"),
            "start_sec" => number_in(value, 86_400).map(|v| s.start_sec = v),
            "max_retry" => number_in(value, 1_000).map(|v| s.max_retry = v),
            "stop_sec" => number_in(value, 86_400).map(|v| s.stop_sec = v),
            "stop_signal" => signal(value).map(|v| s.stop_signal = v),
            _ => {
                self.unknown.push((number, format!("config_{name}")));
                Ok(())
            }
        };
        if let Err(expected) = result {
            let text = String::from_utf8_lossy(raw).trim_end().to_owned();
            self.invalid.push(Invalid {
                line: number,
                text,
                expected,
            });
        }
    }
}

/// The expected form of each setting, for error messages and the man page.
const SECONDS: &str = "a whole number of seconds from 0 to 86400";

fn number_in(value: &str, max: u32) -> Result<u32, &'static str> {
    let expected = if max == 1_000 {
        "a whole number from 0 to 1000"
    } else {
        SECONDS
    };
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(expected);
    }
    value
        .parse::<u32>()
        .ok()
        .filter(|&v| v <= max)
        .ok_or(expected)
}

/// Parses `TERM`, `SIGTERM`, `term` or `15`.
pub fn signal(value: &str) -> Result<Signal, &'static str> {
    const EXPECTED: &str =
        "a signal name such as TERM, INT, QUIT, HUP, USR1 or KILL, or its number";
    if let Ok(n) = value.parse::<i32>() {
        return Signal::try_from(n).map_err(|_| EXPECTED);
    }
    let upper = value.to_ascii_uppercase();
    let full = if upper.starts_with("SIG") {
        upper
    } else {
        format!("SIG{upper}")
    };
    Signal::from_str(&full).map_err(|_| EXPECTED)
}

/// Drops a trailing `# comment`; a `#` glued to the value is part of it, as
/// in the shell.
fn strip_comment(value: &str) -> &str {
    let bytes = value.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()) {
            return &value[..i];
        }
    }
    value
}

fn unquote(value: &str) -> &str {
    for q in ['"', '\''] {
        if let Some(inner) = value.strip_prefix(q).and_then(|v| v.strip_suffix(q)) {
            return inner;
        }
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_when_nothing_is_set() {
        assert_eq!(scan(b"#!/bin/sh\nexec sleep 1\n"), Scan::default());
    }

    #[test]
    fn reads_values_comments_and_quotes() {
        let s = scan(
            b"#!/bin/sh\nconfig_start_sec=3 # quick\nconfig_max_retry=\"5\"\n\
              config_stop_sec='1'\nconfig_stop_signal=INT\n",
        );
        assert!(s.invalid.is_empty() && s.unknown.is_empty(), "{s:?}");
        assert_eq!(
            s.settings,
            Settings {
                start_sec: 3,
                max_retry: 5,
                stop_sec: 1,
                stop_signal: Signal::SIGINT
            }
        );
    }

    #[test]
    fn last_assignment_wins_and_indented_lines_are_not_settings() {
        let s = scan(b"config_start_sec=3\nconfig_start_sec=4\n  config_max_retry=9\n");
        assert_eq!(s.settings.start_sec, 4);
        assert_eq!(s.settings.max_retry, 2);
    }

    #[test]
    fn invalid_values_name_the_line_and_the_form() {
        let s = scan(b"#!/bin/sh\nconfig_start_sec=abc\nconfig_max_retry=-1\nconfig_stop_sec=99999999999\nconfig_stop_signal=NOPE\n");
        let lines: Vec<usize> = s.invalid.iter().map(|i| i.line).collect();
        assert_eq!(lines, [2, 3, 4, 5]);
        assert_eq!(s.invalid[0].text, "config_start_sec=abc");
        assert!(s.invalid[0].expected.contains("seconds"));
        assert_eq!(s.settings, Settings::default());
    }

    #[test]
    fn unknown_names_are_reported() {
        let s = scan(b"config_start_secs=3\n");
        assert_eq!(s.unknown, [(1, "config_start_secs".to_owned())]);
    }

    #[test]
    fn signals_by_name_and_number() {
        assert_eq!(signal("TERM"), Ok(Signal::SIGTERM));
        assert_eq!(signal("sigquit"), Ok(Signal::SIGQUIT));
        assert_eq!(signal("9"), Ok(Signal::SIGKILL));
        assert!(signal("0").is_err());
        assert!(signal("").is_err());
    }

    #[test]
    fn an_overlong_setting_line_is_invalid_and_other_long_lines_are_ignored() {
        let mut text =
            format!("#!/bin/sh\n# {}\nconfig_start_sec=3 # ", "x".repeat(5000)).into_bytes();
        text.extend(std::iter::repeat_n(b'y', 300));
        text.extend_from_slice(b"\nconfig_max_retry=4");
        let s = scan(&text);
        assert_eq!(s.invalid.len(), 1, "{s:?}");
        assert_eq!(s.invalid[0].line, 3);
        assert_eq!(s.settings.start_sec, 10);
        assert_eq!(
            s.settings.max_retry, 4,
            "a last line without a newline counts"
        );
    }

    #[test]
    fn hash_inside_a_value_is_kept() {
        assert_eq!(strip_comment("a#b # c"), "a#b ");
    }
}
