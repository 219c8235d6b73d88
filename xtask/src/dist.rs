//! `cargo xtask dist [--prefix DIR] [--destdir DIR] [--deb]`: builds release
//! binaries and stages the files a distribution installs, under
//! `DESTDIR/PREFIX` (default `target/dist/root` and `/usr/local`); with
//! `--deb`, under `/usr`, packed into a Debian package by `dpkg-deb`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::codegen;
use crate::project_root;

const VERSION: &str = env!("CARGO_PKG_VERSION");

struct Options {
    prefix: PathBuf,
    destdir: PathBuf,
    deb: bool,
}

pub fn run(args: &[String]) -> Result<(), String> {
    let options = parse(args)?;
    let root = project_root();
    let binaries = build_release(&root)?;
    let tree = options
        .destdir
        .join(options.prefix.strip_prefix("/").unwrap_or(&options.prefix));
    stage(&root, &binaries, &tree)?;
    eprintln!("staged {}", options.destdir.display());
    if options.deb {
        let deb = package(&root, &options.destdir)?;
        println!("{}", deb.display());
    }
    Ok(())
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut prefix = None;
    let mut destdir = None;
    let mut deb = false;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--prefix" => prefix = args.next().map(PathBuf::from),
            "--destdir" => destdir = args.next().map(PathBuf::from),
            "--deb" => deb = true,
            _ => {
                return Err(
                    "usage: cargo xtask dist [--prefix DIR] [--destdir DIR] [--deb]".into(),
                );
            }
        }
    }
    let prefix = prefix.or_else(|| std::env::var_os("PREFIX").map(PathBuf::from));
    let destdir = destdir.or_else(|| std::env::var_os("DESTDIR").map(PathBuf::from));
    if deb && prefix.as_deref().is_some_and(|p| p != Path::new("/usr")) {
        return Err("a Debian package installs under /usr: drop --prefix".into());
    }
    let prefix = prefix.unwrap_or_else(|| PathBuf::from(if deb { "/usr" } else { "/usr/local" }));
    if !prefix.is_absolute() {
        return Err(format!(
            "the prefix must be absolute, not {}",
            prefix.display()
        ));
    }
    let destdir = destdir.unwrap_or_else(|| project_root().join("target/dist/root"));
    let destdir = std::path::absolute(&destdir).map_err(|e| e.to_string())?;
    if deb || destdir.starts_with(project_root().join("target")) {
        // Only ever clear a staging tree, never a real DESTDIR such as /.
        let _ = fs::remove_dir_all(&destdir);
    }
    Ok(Options {
        prefix,
        destdir,
        deb,
    })
}

/// Builds the release binaries as reraise ships them and returns their
/// directory. On Linux with glibc they are linked statically and without
/// position independence: a worker then keeps about half the private memory
/// of a dynamic one (no relocated pages, no loader state), which is what
/// lets dozens of workers cost less than runit's runsv. Static linking has
/// to be per build and needs an explicit `--target`, or cargo would also
/// apply it to proc macros (see FINDINGS in the project's history).
pub fn build_release(root: &Path) -> Result<PathBuf, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let host = output(Command::new("rustc").arg("-vV"))?
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
        .ok_or("`rustc -vV` names no host")?;
    let mut command = Command::new(&cargo);
    command.current_dir(root).args([
        "build",
        "--release",
        "--locked",
        "--package",
        "reraise",
        "--bins",
    ]);
    if host.ends_with("-linux-gnu") {
        let target_dir = root.join("target/dist-build");
        command
            .args(["--target", &host])
            .arg("--target-dir")
            .arg(&target_dir);
        command.env(
            "RUSTFLAGS",
            "-C target-feature=+crt-static -C relocation-model=static",
        );
        run_command(&mut command)?;
        Ok(target_dir.join(host).join("release"))
    } else {
        run_command(&mut command)?;
        Ok(root.join("target/release"))
    }
}

/// Every file of the install tree, from the release build and the generated files.
fn stage(root: &Path, binaries: &Path, tree: &Path) -> Result<(), String> {
    for bin in ["reraise", "auto-reraise"] {
        install(&binaries.join(bin), &tree.join("bin").join(bin), 0o755)?;
    }
    for (path, content) in codegen::files()? {
        let target = match (
            path.parent().and_then(Path::to_str),
            path.file_name().and_then(|n| n.to_str()),
        ) {
            (Some("man"), Some(name)) => tree.join("share/man/man1").join(name),
            (_, Some("reraise.bash")) => tree.join("share/bash-completion/completions/reraise"),
            (_, Some("_reraise")) => tree.join("share/zsh/vendor-completions/_reraise"),
            (_, Some("reraise.fish")) => tree.join("share/fish/vendor_completions.d/reraise.fish"),
            _ => {
                return Err(format!(
                    "no place in the install tree for {}",
                    path.display()
                ));
            }
        };
        write(&target, content.as_bytes(), 0o644)?;
    }
    let doc = tree.join("share/doc/reraise");
    install(&root.join("README.md"), &doc.join("README.md"), 0o644)?;
    write(&doc.join("copyright"), COPYRIGHT.as_bytes(), 0o644)?;
    // Debian policy: man pages compressed, reproducibly.
    let man = tree.join("share/man/man1");
    for entry in fs::read_dir(&man).map_err(|e| e.to_string())? {
        let path = entry.map_err(|e| e.to_string())?.path();
        run_command(Command::new("gzip").args(["-9nf"]).arg(&path))?;
    }
    Ok(())
}

const COPYRIGHT: &str = "reraise: a rootless, tiny per-service process supervisor.\n\n\
    This is free and unencumbered software released into the public domain\n\
    (the Unlicense, https://unlicense.org).\n";

/// Packs `destdir` (a /usr tree) into `target/dist/reraise_VERSION_ARCH.deb`.
fn package(root: &Path, destdir: &Path) -> Result<PathBuf, String> {
    let arch = output(Command::new("dpkg").arg("--print-architecture"))?;
    let control = format!(
        "Package: reraise\nVersion: {VERSION}\nArchitecture: {arch}\nMaintainer: reraise developers <reraise@localhost>\n\
         Section: admin\nPriority: optional\nSuggests: sudo\n\
         Description: rootless, tiny per-service process supervisor\n \
         reraise keeps services running for one Unix user: a service is an\n \
         executable starter script, and one small auto-reraise worker per\n \
         service restarts it when it exits. No daemon, no root, no config\n \
         language; bash, zsh and fish completions and man pages included.\n"
    );
    write(&destdir.join("DEBIAN/control"), control.as_bytes(), 0o644)?;
    let deb = root.join(format!("target/dist/reraise_{VERSION}_{arch}.deb"));
    run_command(
        Command::new("dpkg-deb")
            .args(["--root-owner-group", "--build"])
            .arg(destdir)
            .arg(&deb),
    )?;
    Ok(deb)
}

fn install(from: &Path, to: &Path, mode: u32) -> Result<(), String> {
    let bytes = fs::read(from).map_err(|e| format!("{}: {e}", from.display()))?;
    write(to, &bytes, mode)
}

fn write(to: &Path, bytes: &[u8], mode: u32) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    fs::create_dir_all(to.parent().unwrap()).map_err(|e| format!("{}: {e}", to.display()))?;
    fs::write(to, bytes).map_err(|e| format!("{}: {e}", to.display()))?;
    fs::set_permissions(to, fs::Permissions::from_mode(mode))
        .map_err(|e| format!("{}: {e}", to.display()))
}

fn run_command(command: &mut Command) -> Result<(), String> {
    let status = command.status().map_err(|e| format!("{command:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{command:?} failed: {status}"))
    }
}

fn output(command: &mut Command) -> Result<String, String> {
    let out = command.output().map_err(|e| format!("{command:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{command:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}
