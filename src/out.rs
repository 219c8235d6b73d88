//! Writing to stdout. Rust ignores SIGPIPE, so a closed pipe shows up as an
//! error on write: a reader that stopped early (`reraise status | head`) is
//! no failure, and reports end quietly then.

use std::io::{ErrorKind, Write};

/// Prints one line of a report; ends the process with success when the
/// reader has gone away.
pub fn show(line: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(line).and_then(|()| out.write_all(b"\n"))
        && e.kind() == ErrorKind::BrokenPipe
    {
        std::process::exit(0);
    }
}

/// Prints one line about an action; a reader that went away does not stop
/// the actions still to do.
pub fn say(line: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_fmt(line).and_then(|()| out.write_all(b"\n"));
}
