//! The condition language (Logstash's `if`): parsing arbitrary text never panics, and a
//! condition that parses evaluates on an event without panicking.
#![no_main]
#[path = "../bodies.rs"]
mod bodies;
libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::condition(data));
