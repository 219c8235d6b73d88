//! `reraise list`: each service with its owner user and group.

use std::os::unix::fs::MetadataExt;

use nix::unistd::{Gid, Group, Uid, User};
use reraise::service;

use crate::exit::{Exit, fail};
use crate::out::show;

pub fn run() -> Exit {
    let dirs = match super::dirs() {
        Ok(d) => d,
        Err(e) => return e,
    };
    let names = match service::scripts(&dirs) {
        Ok(n) => n,
        Err(e) => return fail(format!("cannot read {}: {e}", dirs.services.display())),
    };
    let rows: Vec<(String, String, String)> = names
        .into_iter()
        .map(|name| {
            let (user, group) = match dirs.script(&name).metadata() {
                Ok(m) => (user(m.uid()), group(m.gid())),
                Err(_) => ("?".to_owned(), "?".to_owned()),
            };
            (name, user, group)
        })
        .collect();
    let w0 = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
    let w1 = rows.iter().map(|r| r.1.chars().count()).max().unwrap_or(0);
    for (name, user, group) in &rows {
        show(format_args!("{name:w0$}  {user:w1$}  {group}"));
    }
    Exit::Success
}

fn user(uid: u32) -> String {
    User::from_uid(Uid::from_raw(uid))
        .ok()
        .flatten()
        .map_or_else(|| uid.to_string(), |u| u.name)
}

fn group(gid: u32) -> String {
    Group::from_gid(Gid::from_raw(gid))
        .ok()
        .flatten()
        .map_or_else(|| gid.to_string(), |g| g.name)
}
