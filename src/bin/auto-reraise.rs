//! The per-service worker. All of it lives in `reraise::worker`, so that this
//! binary links none of the command line's parser or colours.
//!
//! It has its own C `main`: Rust's usual start-up asks the C library where
//! the main thread's stack is, which on glibc reads /proc/self/maps through
//! a heap buffer, one more dirty page in every worker for its whole life.
//! The worker needs none of that set-up (it ignores SIGPIPE itself).

#![no_main]

#[unsafe(no_mangle)]
extern "C" fn main(
    _argc: std::ffi::c_int,
    _argv: *const *const std::ffi::c_char,
) -> std::ffi::c_int {
    reraise::worker::main()
}
