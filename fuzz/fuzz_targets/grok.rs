//! Grok pattern compilation against the built-in library (and, when it compiles, a match
//! against the rest of the input with a small step budget): never panics.
#![no_main]
#[path = "../bodies.rs"]
mod bodies;
libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::grok(data));
