//! Man pages: clap_mangen renders what the clap definition knows (name,
//! synopsis, options, subcommands); the sections it cannot know are written
//! here in roff: how reraise works, its settings, states, environment,
//! files, exit status, examples.

use clap::{Arg, Command};
use clap_mangen::Man;

use crate::cli;
use crate::completions::DO_NOT_EDIT;

const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The date printed in the pages' footers: the release of `VERSION`. A fixed
/// date keeps the generated pages reproducible; update it with the version.
const DATE: &str = "2026-11-24";

/// Every page: file name and roff text.
pub fn pages() -> Result<Vec<(String, String)>, String> {
    // `reraise help` works, but has no page of its own to list.
    let mut top = cli::command().disable_help_subcommand(true);
    top.build();
    let mut pages = vec![(
        "reraise.1".to_owned(),
        page(&top, "reraise", &reraise_sections())?,
    )];
    for sub in top.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("reraise-{}", sub.get_name());
        let cmd = sub
            .clone()
            .display_name(&name)
            .bin_name(format!("reraise {}", sub.get_name()));
        let extra = subcommand_sections(sub.get_name());
        pages.push((format!("{name}.1"), page(&cmd, &name, &extra)?));
    }
    pages.push((
        "auto-reraise.1".to_owned(),
        page(&worker_command(), "auto-reraise", &worker_sections())?,
    ));
    Ok(pages)
}

/// Renders one page: clap's sections, then `extra` (roff, each starting
/// with `.SH`), then SEE ALSO.
fn page(cmd: &Command, name: &str, extra: &str) -> Result<String, String> {
    let man = Man::new(cmd.clone())
        .title(name.to_uppercase())
        .section("1")
        .date(DATE)
        .source(format!("reraise {VERSION}"))
        .manual("User Commands");
    let mut out: Vec<u8> = format!(".\\\" {DO_NOT_EDIT}\n").into_bytes();
    let io = |e: std::io::Error| e.to_string();
    man.render_title(&mut out).map_err(io)?;
    man.render_name_section(&mut out).map_err(io)?;
    man.render_synopsis_section(&mut out).map_err(io)?;
    man.render_description_section(&mut out).map_err(io)?;
    if cmd
        .get_arguments()
        .any(|a| !a.is_positional() || a.get_long_help().is_some() || a.get_help().is_some())
    {
        man.render_options_section(&mut out).map_err(io)?;
    }
    if cmd.has_subcommands() {
        man.render_subcommands_section(&mut out).map_err(io)?;
    }
    out.extend_from_slice(extra.as_bytes());
    out.extend_from_slice(see_also(name).as_bytes());
    String::from_utf8(out).map(tidy).map_err(|e| e.to_string())
}

/// Mends what clap_mangen 0.3 renders: a blank line between two `.br`
/// (which linters flag), option values missing from the synopsis, and no
/// `...` after a repeated argument.
fn tidy(roff: String) -> String {
    let synopsis_values = [
        ("color", "WHEN"),
        ("dir", "RERAISE_DIR"),
        ("piddir", "RERAISE_PIDDIR"),
    ];
    let mut roff = roff.replace("\n.br\n\n.br\n", "\n.sp\n");
    for (option, value) in synopsis_values {
        roff = roff.replace(
            &format!("[\\fB\\-\\-{option}\\fR]"),
            &format!("[\\fB\\-\\-{option}\\fR \\fI{value}\\fR]"),
        );
    }
    let roff = roff
        .replace("<\\fIPATTERN\\fR>", "\\fIPATTERN\\fR...")
        .replace("<\\fISERVICE\\fR>", "\\fISERVICE\\fR");
    roff.lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

fn see_also(name: &str) -> String {
    let mut pages: Vec<String> = ["reraise", "auto-reraise"]
        .iter()
        .map(|p| (*p).to_owned())
        .collect();
    pages.extend(
        [
            "list",
            "status",
            "start",
            "stop",
            "restart",
            "clean",
            "skeleton",
            "completions",
        ]
        .iter()
        .map(|s| format!("reraise-{s}")),
    );
    let refs: Vec<String> = pages
        .iter()
        .filter(|p| *p != name)
        .map(|p| format!(".BR {} (1)", p.replace('-', "\\-")))
        .collect();
    let mut text = String::from(".SH \"SEE ALSO\"\n");
    for (i, r) in refs.iter().enumerate() {
        text.push_str(r);
        text.push_str(if i + 1 < refs.len() { " ,\n" } else { "\n" });
    }
    text.push_str(".BR runsv (8),\n.BR s6\\-supervise (8),\n.BR sudo (8)\n");
    text
}

/// The worker has no clap parser; this describes its arguments for the page.
fn worker_command() -> Command {
    Command::new("auto-reraise")
        .about("Supervise one reraise service: start it, restart it when it exits, stop it on request")
        .disable_version_flag(true)
        .arg(Arg::new("dir").long("dir").value_name("RERAISE_DIR").help("The directory of starter scripts (default: $RERAISE_DIR, else ~/reraise.d)"))
        .arg(Arg::new("piddir").long("piddir").value_name("RERAISE_PIDDIR").help("The directory of state files (default: $RERAISE_PIDDIR, else /var/tmp/reraise)"))
        .arg(Arg::new("service").value_name("SERVICE").required(true).help("The service: the file name of its starter script"))
}

const SETTINGS: &str = r#".SH SETTINGS
Lines of the form
.BI config_ NAME = VALUE
at the start of a line of a starter script are settings; a trailing
.B #
comment is allowed. They are parsed, never executed, and read again before
every start of the service.
.TP
.BR config_start_sec " (default 10)"
A run shorter than this many seconds is a failed start.
.TP
.BR config_max_retry " (default 2)"
How many quick failures in a row are retried once the service has run well;
retries wait 0, 2, 4, ... seconds.
.TP
.BR config_stop_sec " (default 10)"
Seconds between the stop signal and SIGKILL.
.TP
.BR config_stop_signal " (default TERM)"
The signal that asks the service to stop: a name such as
.BR TERM ", " INT ", " QUIT ", " HUP ", " USR1
or a number.
"#;

const ENVIRONMENT: &str = r#".SH ENVIRONMENT
.TP
.B RERAISE_DIR
The directory of starter scripts; default
.IR ~/reraise.d .
.TP
.B RERAISE_PIDDIR
The directory of state files; default
.IR /var/tmp/reraise .
.TP
.B NO_COLOR
When set and not empty, no colours (unless
.B \-\-color always
is given).
.TP
.B CLICOLOR_FORCE
When set and not 0, colours even when stdout is not a terminal.
"#;

const FILES: &str = r#".SH FILES
.TP
.I $RERAISE_DIR/NAME
The starter script of service NAME: an executable that prepares the
environment and
.BR exec s
the service.
.TP
.I $RERAISE_PIDDIR/NAME
The state file: one line
.IR "STATE EXITCODE PID WORKERPID EPOCH" ,
with
.B \-
for an empty field, where STATE is START, RUN, STOP or ERROR. It is replaced
atomically and never written through a symbolic link.
.TP
.I $RERAISE_PIDDIR/.NAME.lock
Locked by the worker for its whole life; the lock proves that the worker
lives. It holds the stop grace of the running instance, which
.B "reraise stop"
waits for even when the script was edited since.
"#;

const EXIT_STATUS: &str = r#".SH "EXIT STATUS"
.TP
.B 0
Everything requested was done.
.TP
.B 1
Something failed, for example a pattern that matched nothing; the other
patterns were still processed.
.TP
.B 2
The command line was wrong.
"#;

fn reraise_sections() -> String {
    let model = r#".SH "HOW IT WORKS"
Dot\-files in
.B $RERAISE_DIR
are not services, and service names hold no white space or control characters.
.PP
.B "reraise start"
launches one
.BR auto\-reraise (1)
worker per service, detached from the terminal. The worker holds a lock for
its whole life, starts the script in a process group of its own, starts it
again when it exits, and records what it does in a state file in
.BR $RERAISE_PIDDIR .
The other commands read the state files and the locks; they never trust a
process ID alone.
.PP
When the script belongs to another user, the worker is started as that user
with
.BR "sudo \-n \-u OWNER" ;
when sudo would ask for a password, reraise says so and prints the sudoers
line that allows it.
"#;
    let states = r#".SH STATES
.B "reraise status"
prints one of:
.TP
.B running
The service runs (pid, worker pid, time up).
.TP
.B starting
The worker is starting it.
.TP
.B stop
It exited and will be started again soon (last exit code).
.TP
.B ERROR
It failed and its worker gave up (exit code; 128+N for a death by signal N).
.TP
.B not\-running
No worker runs it.
.TP
.B not\-executable
The starter script is not executable by its owner.
.TP
.B seems\-not\-running
A state file whose worker is gone;
.B "reraise clean"
or
.B "reraise start"
recovers.
.TP
.B UNKNOWN
The state file cannot be read.
"#;
    let examples = r#".SH EXAMPLES
.nf
mkdir \-p ~/reraise.d /var/tmp/reraise
reraise skeleton > ~/reraise.d/http\-8000
chmod u+x ~/reraise.d/http\-8000
reraise start http\-8000
reraise status
reraise restart 'http\-*'
reraise stop '*'
.fi
"#;
    [
        model,
        SETTINGS,
        states,
        ENVIRONMENT,
        FILES,
        EXIT_STATUS,
        examples,
    ]
    .concat()
}

fn subcommand_sections(name: &str) -> String {
    let example = match name {
        "start" => ".nf\nreraise start http\\-8000\nreraise start 'web\\-*' db\n.fi\n",
        "stop" => {
            ".nf\nreraise stop http\\-8000 && reraise start http\\-8000\nreraise stop '*'\n.fi\n"
        }
        "restart" => ".nf\nreraise restart 'web\\-[12]'\n.fi\n",
        "status" => ".nf\nreraise status\nreraise status | grep ERROR\n.fi\n",
        "completions" => concat!(
            ".nf\n",
            "reraise completions bash \\\\\n",
            "    > ~/.local/share/bash\\-completion/completions/reraise\n",
            "reraise completions zsh > ~/.zfunc/_reraise\n",
            "reraise completions fish \\\\\n",
            "    > ~/.config/fish/completions/reraise.fish\n",
            ".fi\n"
        ),
        "skeleton" => ".nf\nreraise skeleton > ~/reraise.d/http\\-8000\n.fi\n",
        _ => "",
    };
    let mut text = String::new();
    if matches!(name, "start" | "stop" | "restart") {
        text.push_str(
            ".SH PATTERNS\nEach PATTERN is a service name or a glob (\\fB*\\fR, \\fB?\\fR, \\fB[...]\\fR), \
             matched against service names; quote globs so the shell leaves them alone. \
             A pattern that matches nothing is an error; the other patterns are still processed.\n",
        );
    }
    if name == "start" {
        text.push_str(SETTINGS);
    }
    if matches!(
        name,
        "status" | "list" | "start" | "stop" | "restart" | "clean"
    ) {
        text.push_str(ENVIRONMENT);
    }
    text.push_str(EXIT_STATUS);
    if !example.is_empty() {
        text.push_str(".SH EXAMPLES\n");
        text.push_str(example);
    }
    text
}

fn worker_sections() -> String {
    let model = r#".SH "HOW IT WORKS"
.B auto\-reraise
is started by
.BR "reraise start" ;
running it by hand works the same. It forks into a new session, locks
.IR $RERAISE_PIDDIR/.SERVICE.lock ,
and reports
.B ready
on stdout once the state file is written, then lets go of its standard
output. It starts the starter script in a process group of its own, in the
home directory, with stdin from
.I /dev/null
and a clean signal mask, then waits for signals only: it never polls.
.PP
When the service exits after at least
.B config_start_sec
seconds it is started again at once. When it exits sooner after having run
well, it is retried after 0, 2, 4, ... seconds, at most
.B config_max_retry
times in a row. A quick exit on the first start, or once the retries are
spent, is recorded as ERROR and the worker exits.
.PP
On Linux the worker is a child subreaper and the service receives its stop
signal if the worker dies.
.SH SIGNALS
.TP
.BR SIGTERM ", " SIGINT ", " SIGQUIT
Stop: send
.B config_stop_signal
to the service's process group, SIGKILL it after
.B config_stop_sec
seconds, remove the state file and exit.
.TP
.B SIGHUP
Restart: stop the service the same way and start it again at once; never
counted as a failure.
.SH "EXIT STATUS"
.TP
.B 0
Stopped on request.
.TP
.B 1
The service failed (ERROR recorded), or the worker could not start.
.TP
.B 2
Wrong arguments.
.TP
.B 3
Another worker already supervises the service.
"#;
    let environment = r#".SH ENVIRONMENT
.TP
.BR RERAISE_DIR ", " RERAISE_PIDDIR
The directories, when
.B \-\-dir
and
.B \-\-piddir
are not given; the worker sets both for the service.
.TP
.B HOME
The service's working directory.
"#;
    [model, SETTINGS, environment, FILES].concat()
}
