//! RFC 5424 / RFC 3164 parsing and event building: never panics, whatever the bytes.
#![no_main]
#[path = "../bodies.rs"]
mod bodies;
libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::syslog(data));
