//! The reraise binaries under test: the build reraise ships (`cargo xtask
//! dist`: static and non-PIE on Linux with glibc) and, for comparison, a
//! release build linked dynamically against glibc, as `cargo install`
//! gives. Each has its own target directory, away from `target/release`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// One build of `reraise` and `auto-reraise`.
#[derive(Debug, Clone)]
pub struct Build {
    pub label: &'static str,
    pub bin_dir: PathBuf,
}

impl Build {
    pub fn reraise(&self) -> PathBuf {
        self.bin_dir.join("reraise")
    }

    pub fn worker(&self) -> PathBuf {
        self.bin_dir.join("auto-reraise")
    }
}

/// Builds both variants. A variant that fails to build is reported and left
/// out; the benchmark goes on with the other.
pub fn both(root: &Path) -> Result<Vec<Build>, String> {
    let host = host_triple()?;
    let mut builds = Vec::new();
    match dynamic(root, &host) {
        Ok(b) => builds.push(b),
        Err(e) => eprintln!("bench: reraise (dynamic) left out: {e}"),
    }
    eprintln!("bench: building reraise (static) as `cargo xtask dist` does");
    match crate::dist::build_release(root) {
        Ok(bin_dir) => builds.push(Build {
            label: "reraise (static)",
            bin_dir,
        }),
        Err(e) => eprintln!("bench: reraise (static) left out: {e}"),
    }
    if builds.is_empty() {
        return Err("no build of reraise succeeded".to_owned());
    }
    Ok(builds)
}

fn host_triple() -> Result<String, String> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let out = Command::new(rustc)
        .arg("-vV")
        .output()
        .map_err(|e| format!("cannot run rustc -vV: {e}"))?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
        .ok_or_else(|| "rustc -vV names no host".to_owned())
}

fn dynamic(root: &Path, host: &str) -> Result<Build, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let dir = "target/bench-dynamic";
    let flags = "-C target-feature=-crt-static";
    eprintln!(
        "bench: building reraise (dynamic): RUSTFLAGS=\"{flags}\" cargo build --release --target {host} --target-dir {dir}"
    );
    // With an explicit --target, RUSTFLAGS reaches only the target's
    // artifacts, so proc macros still build as host dylibs.
    let status = Command::new(cargo)
        .current_dir(root)
        .env("RUSTFLAGS", flags)
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .args(["build", "--release", "--package", "reraise", "--bins"])
        .args(["--target", host, "--target-dir", dir])
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("cargo build failed ({status})"));
    }
    let build = Build {
        label: "reraise (dynamic)",
        bin_dir: root.join(dir).join(host).join("release"),
    };
    for bin in [build.reraise(), build.worker()] {
        if is_static(&bin)? {
            return Err(format!("{} is not dynamically linked", bin.display()));
        }
    }
    Ok(build)
}

/// Whether an ELF file has no program interpreter (static or static-pie).
pub fn is_static(path: &Path) -> Result<bool, String> {
    let data = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let bad = || format!("{}: not a 64-bit little-endian ELF file", path.display());
    if data.get(..6) != Some(b"\x7fELF\x02\x01".as_slice()) {
        return Err(bad());
    }
    let u16_at = |at: usize| {
        data.get(at..at + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
    };
    let u64_at = |at: usize| {
        data.get(at..at + 8)
            .map(|b| u64::from_le_bytes(b.try_into().unwrap()))
    };
    let phoff = u64_at(0x20).ok_or_else(bad)? as usize;
    let size = usize::from(u16_at(0x36).ok_or_else(bad)?);
    let count = usize::from(u16_at(0x38).ok_or_else(bad)?);
    const PT_INTERP: u32 = 3;
    let has_interp = (0..count).any(|i| {
        let at = phoff + i * size;
        data.get(at..at + 4)
            .is_some_and(|b| u32::from_le_bytes(b.try_into().unwrap()) == PT_INTERP)
    });
    Ok(!has_interp)
}
