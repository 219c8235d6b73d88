//! `reraise skeleton`: an example starter script to start from.

use crate::exit::Exit;
use crate::out::show;

const SKELETON: &str = r#"#!/bin/sh
# A reraise starter script. Save it in $RERAISE_DIR under the service's name
# (say ~/reraise.d/http-8000), make it executable (chmod u+x), then run
# `reraise start http-8000`.
#
# Settings: read by reraise, never run. Change them here; they apply from the
# next start of the service.
config_start_sec=10   # a run shorter than this many seconds is a failed start
config_max_retry=2    # quick failures retried after a good run
#config_stop_sec=10       # seconds between the stop signal and SIGKILL
#config_stop_signal=TERM  # the signal that asks the service to stop

# This example serves the home directory over HTTP, on the port at the end
# of the script's name: http-8000 listens on port 8000.
port=${0##*-}

# The service's output goes to a log file (otherwise it is discarded).
mkdir -p "$HOME/log"
exec >>"$HOME/log/http-$port.log" 2>&1

# exec replaces this shell, so the service keeps the PID reraise started,
# gets its signals, and is seen exiting.
exec python3 -m http.server "$port"
"#;

pub fn run() -> Exit {
    show(format_args!("{}", SKELETON.trim_end()));
    Exit::Success
}
