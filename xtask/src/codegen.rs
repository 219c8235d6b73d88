//! `cargo xtask codegen [--check]`: writes the completion scripts and man
//! pages, or with `--check` fails when a committed one is stale.

use std::fs;
use std::path::PathBuf;

use crate::cli::Shell;
use crate::{completions, man, project_root};

/// Every generated file: its path from the project root and its content.
pub fn files() -> Result<Vec<(PathBuf, String)>, String> {
    let mut files = vec![
        (
            PathBuf::from("completions/reraise.bash"),
            completions::script(Shell::Bash),
        ),
        (
            PathBuf::from("completions/_reraise"),
            completions::script(Shell::Zsh),
        ),
        (
            PathBuf::from("completions/reraise.fish"),
            completions::script(Shell::Fish),
        ),
    ];
    for (name, page) in man::pages()? {
        files.push((PathBuf::from("man").join(name), page));
    }
    Ok(files)
}

pub fn run(args: &[String]) -> Result<(), String> {
    let check = match args {
        [] => false,
        [flag] if flag == "--check" => true,
        _ => return Err("usage: cargo xtask codegen [--check]".into()),
    };
    let root = project_root();
    let mut stale = Vec::new();
    for (path, content) in files()? {
        let full = root.join(&path);
        if fs::read_to_string(&full).is_ok_and(|old| old == content) {
            continue;
        }
        if check {
            stale.push(path.display().to_string());
        } else {
            fs::create_dir_all(full.parent().unwrap())
                .map_err(|e| format!("{}: {e}", full.display()))?;
            fs::write(&full, content).map_err(|e| format!("{}: {e}", full.display()))?;
            eprintln!("wrote {}", path.display());
        }
    }
    if stale.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "generated files are stale: {}\nrun `cargo xtask codegen` and commit the result",
            stale.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    /// `cargo test` fails when a generated file was not regenerated after a
    /// change to the command line, the completions or the man pages.
    #[test]
    fn generated_files_are_fresh() {
        if let Err(e) = super::run(&["--check".to_owned()]) {
            panic!("{e}");
        }
    }
}
