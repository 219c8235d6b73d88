//! reraise's integration tests: the real `reraise` and `auto-reraise`
//! binaries against real processes, one module per area of the behaviour.

mod harness;

mod commands;
mod input;
mod lifecycle;
mod rootless;
mod stopping;
mod users;
