//! The config loader on arbitrary TOML: never panics; errors are values.
#![no_main]
#[path = "../bodies.rs"]
mod bodies;
libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::config(data));
