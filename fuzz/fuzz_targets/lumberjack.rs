//! The Lumberjack v2 decoder (Beats) over arbitrary bytes, compressed frames included:
//! never panics, never inflates past its limit.
#![no_main]
#[path = "../bodies.rs"]
mod bodies;
libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::lumberjack(data));
