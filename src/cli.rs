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
    Start(Patterns),
    /// Stop running services and wait until they are gone
    Stop(Patterns),
    /// Stop and start running services again, each under its worker
    Restart(Patterns),
    /// Remove state files whose worker is gone, and stop what they left running
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
