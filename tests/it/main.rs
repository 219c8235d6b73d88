//! reraise's integration tests: the real `reraise` and `auto-reraise`
//! binaries against real processes, one module per area of the behaviour.

mod harness;

mod commands;
mod completions;
mod footprint;
mod input;
mod lifecycle;
mod manpages;
mod robustness;
mod rootless;
mod stopping;
mod users;
