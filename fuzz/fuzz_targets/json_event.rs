//! A JSON line into an event (JSON-lines and HTTP sources), and the event back to JSON:
//! never panics; what is written is valid JSON.
#![no_main]
#[path = "../bodies.rs"]
mod bodies;
libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::json_event(data));
