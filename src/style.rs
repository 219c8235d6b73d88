//! Colours: decided once, from `--color`, `NO_COLOR`, `CLICOLOR_FORCE` and
//! whether stdout is a terminal; applied with owo-colors styles.

use std::ffi::OsString;
use std::io::IsTerminal;

use owo_colors::Style;

use crate::cli::ColorChoice;

/// Whether to colour stdout.
pub fn enabled(choice: ColorChoice) -> bool {
    let var = |name| std::env::var_os(name).filter(|v: &OsString| !v.is_empty());
    match choice {
        ColorChoice::Never => false,
        ColorChoice::Always => true,
        ColorChoice::Auto if var("NO_COLOR").is_some() => false,
        ColorChoice::Auto if var("CLICOLOR_FORCE").is_some_and(|v| v != "0") => true,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal() && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
        }
    }
}

/// The style of a status word.
pub fn for_state(word: &str) -> Style {
    match word {
        "running" => Style::new().green().bold(),
        "starting" | "stop" => Style::new().yellow(),
        "ERROR" | "UNKNOWN" => Style::new().red().bold(),
        "seems-not-running" | "not-executable" => Style::new().magenta(),
        _ => Style::new().dimmed(),
    }
}
