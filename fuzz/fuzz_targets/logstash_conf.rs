//! Logstash `.conf` text through the parser and the converter (and the TOML it makes
//! through the loader): never panics; errors render with their place.
#![no_main]
#[path = "../bodies.rs"]
mod bodies;
libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::logstash_conf(data));
