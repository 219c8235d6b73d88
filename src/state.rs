//! The state file: one line `STATE EXITCODE PID WORKERPID EPOCH`, `-` for an
//! empty field, replaced atomically and never written through a symbolic link.
//!
//! The worker writes it after every change; readers never talk to the worker.
//! Writing allocates nothing, so a worker's memory stays flat for its life.

use std::ffi::CString;
use std::fs::OpenOptions;
use std::io::{self, Read as _, Write as _};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use nix::fcntl::{OFlag, open};
use nix::sys::stat::Mode;
use nix::unistd::write;

/// The worker's phase, as written in the first field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// The worker is about to start the service.
    Start,
    /// The service runs with the recorded PID.
    Run,
    /// The service exited and will be started again soon.
    Stop,
    /// The service failed and the worker gave up.
    Error,
}

impl Phase {
    pub fn word(self) -> &'static str {
        match self {
            Phase::Start => "START",
            Phase::Run => "RUN",
            Phase::Stop => "STOP",
            Phase::Error => "ERROR",
        }
    }
}

/// One state file's content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record {
    pub phase: Phase,
    pub code: Option<i32>,
    pub pid: Option<i32>,
    pub worker: Option<i32>,
    /// Seconds since the Unix epoch when the phase began.
    pub epoch: Option<u64>,
}

impl Record {
    /// Parses the line; `None` when it is not a state line.
    pub fn parse(text: &str) -> Option<Record> {
        let mut fields = text.trim_end_matches('\n').split(' ');
        let phase = match fields.next()? {
            "START" => Phase::Start,
            "RUN" => Phase::Run,
            "STOP" => Phase::Stop,
            "ERROR" => Phase::Error,
            _ => return None,
        };
        let code = optional(fields.next()?)?;
        let pid = optional(fields.next()?)?.filter(|&p: &i32| p > 0);
        let worker = optional(fields.next()?)?.filter(|&p: &i32| p > 0);
        let epoch = optional(fields.next()?)?;
        fields.next().is_none().then_some(Record {
            phase,
            code,
            pid,
            worker,
            epoch,
        })
    }

    /// Formats the line into `buf` without allocating.
    pub fn format<'a>(&self, buf: &'a mut [u8; 96]) -> &'a [u8] {
        let mut out = &mut buf[..];
        let dash = |n: Option<i64>| Field(n);
        // The buffer holds the longest possible line, so this cannot fail.
        let _ = writeln!(
            out,
            "{} {} {} {} {}",
            self.phase.word(),
            dash(self.code.map(i64::from)),
            dash(self.pid.map(i64::from)),
            dash(self.worker.map(i64::from)),
            dash(self.epoch.map(|e| e as i64)),
        );
        let left = out.len();
        &buf[..96 - left]
    }
}

struct Field(Option<i64>);

impl std::fmt::Display for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(n) => write!(f, "{n}"),
            None => f.write_str("-"),
        }
    }
}

fn optional<T: std::str::FromStr>(field: &str) -> Option<Option<T>> {
    if field == "-" {
        Some(None)
    } else {
        field.parse().ok().map(Some)
    }
}

/// Reads a state file: `Ok(None)` when there is none, `Err` with the reason
/// when it cannot be read or does not hold a state line.
pub fn read(path: &Path) -> Result<Option<Record>, String> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NOFOLLOW)
        .open(path);
    let mut file = match file {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) if e.raw_os_error() == Some(nix::libc::ELOOP) => {
            return Err("is a symbolic link".into());
        }
        Err(e) => return Err(e.to_string()),
    };
    let mut text = String::new();
    std::io::Read::by_ref(&mut file)
        .take(200)
        .read_to_string(&mut text)
        .map_err(|e| e.to_string())?;
    Record::parse(&text)
        .map(Some)
        .ok_or_else(|| format!("unexpected content {:?}", text.trim_end()))
}

/// Writes one service's state file, atomically, without allocating.
pub struct Writer {
    target: CString,
    temp: CString,
}

impl Writer {
    pub fn new(states: &Path, name: &str) -> Writer {
        let target = states.join(name);
        let temp = states.join(format!(".{name}.new"));
        let c = |p: &Path| CString::new(p.as_os_str().as_bytes()).expect("paths hold no NUL");
        Writer {
            target: c(&target),
            temp: c(&temp),
        }
    }

    /// Replaces the state file with `record`. A symbolic link planted at the
    /// temporary name is refused (`O_NOFOLLOW`), and `rename` replaces a link
    /// at the final name instead of writing through it.
    pub fn write(&self, record: &Record) -> nix::Result<()> {
        let mut buf = [0u8; 96];
        let line = record.format(&mut buf);
        let flags = OFlag::O_WRONLY
            | OFlag::O_CREAT
            | OFlag::O_TRUNC
            | OFlag::O_NOFOLLOW
            | OFlag::O_CLOEXEC;
        let fd = open(self.temp.as_c_str(), flags, Mode::from_bits_truncate(0o644))?;
        write(&fd, line)?;
        drop(fd);
        nix::fcntl::renameat(
            nix::fcntl::AT_FDCWD,
            self.temp.as_c_str(),
            nix::fcntl::AT_FDCWD,
            self.target.as_c_str(),
        )
    }

    /// Removes the state file, as a stopped worker does.
    pub fn remove(&self) {
        let _ = nix::unistd::unlink(self.target.as_c_str());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(r: Record) {
        let mut buf = [0u8; 96];
        let line = std::str::from_utf8(r.format(&mut buf)).unwrap().to_owned();
        assert!(line.ends_with('\n'));
        assert_eq!(Record::parse(&line), Some(r), "{line}");
    }

    #[test]
    fn every_phase_roundtrips() {
        roundtrip(Record {
            phase: Phase::Start,
            code: None,
            pid: None,
            worker: Some(7),
            epoch: Some(1),
        });
        roundtrip(Record {
            phase: Phase::Run,
            code: None,
            pid: Some(42),
            worker: Some(7),
            epoch: Some(1_700_000_000),
        });
        roundtrip(Record {
            phase: Phase::Stop,
            code: Some(143),
            pid: None,
            worker: Some(7),
            epoch: Some(5),
        });
        roundtrip(Record {
            phase: Phase::Error,
            code: Some(-1),
            pid: None,
            worker: None,
            epoch: None,
        });
        let widest = Record {
            phase: Phase::Error,
            code: Some(i32::MIN),
            pid: Some(i32::MAX),
            worker: Some(i32::MAX),
            epoch: Some(u64::MAX / 2),
        };
        roundtrip(widest);
    }

    #[test]
    fn the_format_is_the_documented_line() {
        let mut buf = [0u8; 96];
        let r = Record {
            phase: Phase::Run,
            code: None,
            pid: Some(42),
            worker: Some(7),
            epoch: Some(99),
        };
        assert_eq!(r.format(&mut buf), b"RUN - 42 7 99\n");
    }

    #[test]
    fn garbage_is_not_a_record() {
        for t in [
            "",
            "RUN",
            "RUN - 1 2",
            "RUN - 1 2 3 4",
            "WALK - - - -",
            "RUN x 1 2 3",
            "RUN  - 1 2 3",
        ] {
            assert_eq!(Record::parse(t), None, "{t:?}");
        }
    }
}
