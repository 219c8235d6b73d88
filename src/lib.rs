//! reraise's core, shared by the `reraise` command and the `auto-reraise`
//! worker. Nothing here depends on clap or on colours, so the worker binary
//! links only what it uses.

pub mod dirs;
pub mod leftover;
pub mod liveness;
pub mod name;
pub mod service;
pub mod settings;
pub mod state;
pub mod worker;
