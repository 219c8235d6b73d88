//! The per-service worker. All of it lives in `reraise::worker`, so that this
//! binary links none of the command line's parser or colours.

fn main() {
    reraise::worker::main()
}
