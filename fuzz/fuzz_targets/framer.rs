//! The syslog stream framer over arbitrary chunks: never panics, never returns a frame
//! longer than its limit, and always makes progress.
#![no_main]
#[path = "../bodies.rs"]
mod bodies;
libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::framer(data));
