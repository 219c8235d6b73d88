//! The part of `reraise --help` that depends on this machine: the two
//! directories, the services found, and a short tutorial.

use std::fmt::Write as _;

use reraise::dirs::Dirs;
use reraise::service;

/// The text shown after the options in `reraise`, `-h` and `--help`.
pub fn after_help() -> String {
    let dirs = Dirs::from_env();
    let mut text = String::from("Directories:\n");
    for (var, path, holds) in [
        (
            "RERAISE_DIR",
            &dirs.services,
            "starter scripts, one per service",
        ),
        (
            "RERAISE_PIDDIR",
            &dirs.states,
            "state files, one per started service",
        ),
    ] {
        let missing = if path.is_dir() {
            ""
        } else {
            " (missing: create it with mkdir -p)"
        };
        let _ = writeln!(text, "  {var:<15} {}  {holds}{missing}", path.display());
    }
    let services = service::scripts(&dirs).unwrap_or_default();
    let found = if services.is_empty() {
        "none yet".to_owned()
    } else {
        services.join(" ")
    };
    let _ = writeln!(text, "\nServices: {found}");
    text.push_str(
        "\nQuick start:\n  \
         mkdir -p ~/reraise.d /var/tmp/reraise\n  \
         reraise skeleton > ~/reraise.d/http-8000   # an example starter script\n  \
         chmod u+x ~/reraise.d/http-8000\n  \
         reraise start http-8000\n  \
         reraise status\n  \
         reraise stop http-8000",
    );
    text
}
