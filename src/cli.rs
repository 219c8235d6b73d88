//! The command line, as clap types only. Nothing here imports the rest of
//! the crate, so a build tool can load this file alone to generate
//! completions and man pages from the same definition.

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

/// Keep services running, one tiny supervisor per service, without root.
#[derive(Debug, Parser)]
#[command(name = "reraise", version, max_term_width = 100)]
#[command(
    long_about = "Keep services running, one tiny supervisor per service, without root.\n\n\
    A service is an executable starter script in $RERAISE_DIR; its file name is the \
    service's name. `reraise start NAME` launches one auto-reraise worker for it, which \
    runs the script, starts it again when it exits, and records what it does in a state \
    file in $RERAISE_PIDDIR."
)]
pub struct Cli {
    /// When to colour the output.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the services with the user and group that own them
    #[command(
        long_about = "List the starter scripts in $RERAISE_DIR, one per line: the service's \
        name, and the user and group that own its script. A script owned by another user \
        runs as that user, through sudo."
    )]
    List,
    /// Show what each service is doing
    #[command(
        long_about = "Show what each service is doing, one line per service, sorted by name.\n\n\
        The second column is one of: running, starting, stop (exited, will be started again \
        soon), ERROR (failed; the worker gave up), not-running, not-executable, \
        seems-not-running (the worker is gone: see `reraise clean`), UNKNOWN (the state file \
        cannot be read)."
    )]
    Status,
    /// Start services (names or glob patterns such as 'web-*')
    #[command(
        long_about = "Start each service that a PATTERN selects among the starter scripts in \
        $RERAISE_DIR. Each script is checked first: a regular file, executable by its owner, \
        with valid config_ settings. A running service is skipped. A service in ERROR, or one \
        whose worker died, is started anew, after stopping whatever the dead worker left \
        running.\n\nreraise start returns once each worker holds its lock and has written its \
        state file, so `reraise start web && reraise status` shows it running."
    )]
    Start(Patterns),
    /// Stop running services and wait until they are gone
    #[command(
        long_about = "Ask the worker of each service that a PATTERN selects (among the \
        services with a state file) to stop. The worker sends config_stop_signal to the \
        service's whole process group, SIGKILLs the group after config_stop_sec, removes the \
        state file and exits.\n\nreraise stop returns once the service and its worker are \
        gone, so `reraise stop web && reraise start web` always works. Stopping a service \
        that is not running is an error."
    )]
    Stop(Patterns),
    /// Stop and start running services again, each under its worker
    #[command(
        long_about = "Ask the worker of each running service that a PATTERN selects to stop \
        the service as `reraise stop` would and to start it again at once. The worker stays, \
        the service gets a new PID, and the restart never counts as a failed start. A service \
        that is not running is not started: that is an error."
    )]
    Restart(Patterns),
    /// Remove state files whose worker is gone, and stop what they left running
    #[command(
        long_about = "Remove the state file of each service whose worker no longer runs, \
        such as services in ERROR, and say which. When a dead worker's service still runs and \
        its state file proves it is the process the worker started, stop it first."
    )]
    Clean,
    /// Print an example starter script
    Skeleton,
    /// Print a shell's completion script (bash, zsh or fish)
    #[command(
        long_about = "Print the completion script for SHELL on stdout. It completes commands, \
        options and service names: for start the scripts in $RERAISE_DIR, for stop and restart \
        the services with a state file in $RERAISE_PIDDIR, as set when you press TAB."
    )]
    Completions {
        /// The shell to complete for
        #[arg(value_enum)]
        shell: Shell,
    },
}

/// The shells that completion scripts are made for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

#[derive(Debug, Args)]
pub struct Patterns {
    /// Service names or glob patterns (quote them: 'web-*')
    #[arg(required = true, value_name = "PATTERN")]
    pub patterns: Vec<String>,
}

/// `--color`: colours on a terminal only, always, or never.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// The clap command, for the binary and for generators.
pub fn command() -> clap::Command {
    Cli::command()
}

#[cfg(test)]
mod tests {
    #[test]
    fn clap_accepts_the_definition() {
        super::command().debug_assert();
    }
}
