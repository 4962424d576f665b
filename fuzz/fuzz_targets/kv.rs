//! The kv parser with separators taken from the input: never panics, keys and values are
//! slices of what was given.
#![no_main]
#[path = "../bodies.rs"]
mod bodies;
libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::kv(data));
