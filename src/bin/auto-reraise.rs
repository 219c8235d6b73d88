//! The per-service worker. All of it lives in `reraise::worker`, so that this
//! binary links none of the command line's parser or colours.
//!
//! It has its own C `main`: Rust's usual start-up asks the C library where
//! the main thread's stack is, which on glibc reads /proc/self/maps through
//! a heap buffer, one more dirty page in every worker for its whole life.
//! The worker needs none of that set-up (it ignores SIGPIPE itself).

#![no_main]

#[unsafe(no_mangle)]
extern "C" fn main(argc: std::ffi::c_int, argv: *const *const std::ffi::c_char) -> std::ffi::c_int {
    // std fills `args_os()` without its start-up only on some systems
    // (glibc, Apple); take the arguments from the C runtime everywhere.
    let args = (1..usize::try_from(argc).unwrap_or(0))
        .map(|i| {
            use std::os::unix::ffi::OsStrExt;
            // SAFETY: the C runtime passes argc valid NUL-terminated strings.
            let arg = unsafe { std::ffi::CStr::from_ptr(*argv.add(i)) };
            std::ffi::OsStr::from_bytes(arg.to_bytes()).to_owned()
        })
        .collect();
    reraise::worker::main(args)
}
