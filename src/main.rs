//! `reraise`: parse the command line, run one subcommand, exit with its status.

mod cli;
mod cmd;
mod completions;
mod exit;
mod launch;
mod out;
mod style;

use std::ffi::OsString;

use clap::FromArgMatches;

use cli::{Cli, Command};
use exit::Exit;

fn main() {
    let args: Vec<OsString> = std::env::args_os().collect();
    std::process::exit(run(args).code())
}

fn run(args: Vec<OsString>) -> Exit {
    let wants_help = args.len() == 1 || args[1..].iter().any(|a| a == "-h" || a == "--help");
    let mut command = cli::command();
    // Help follows the same colour rules as the rest; `--color` itself is
    // only known after parsing, which help may not reach.
    let help_color = style::enabled(cli::ColorChoice::Auto);
    if !help_color {
        command = command.color(clap::ColorChoice::Never);
    }
    if wants_help {
        command = command.after_help(cmd::help::after_help());
    }
    if args.len() == 1 {
        let help = command.render_long_help();
        let text = if help_color {
            help.ansi().to_string()
        } else {
            help.to_string()
        };
        out::show(format_args!("{}", text.trim_end()));
        return Exit::Success;
    }
    let cli = match command
        .try_get_matches_from_mut(&args)
        .and_then(|m| Cli::from_arg_matches(&m))
    {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                Exit::Usage
            } else {
                Exit::Success
            };
        }
    };
    let color = style::enabled(cli.color);
    match cli.command {
        None => Exit::Success,
        Some(Command::List) => cmd::list::run(),
        Some(Command::Status) => cmd::status::run(color),
        Some(Command::Start(p)) => cmd::start::run(&p.patterns),
        Some(Command::Stop(p)) => cmd::stop::run(&p.patterns),
        Some(Command::Restart(p)) => cmd::restart::run(&p.patterns),
        Some(Command::Clean) => cmd::clean::run(),
        Some(Command::Skeleton) => cmd::skeleton::run(),
        Some(Command::Completions { shell }) => {
            out::show(format_args!("{}", completions::script(shell).trim_end()));
            Exit::Success
        }
    }
}
