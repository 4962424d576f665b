//! Joda date patterns and the date parser: a pattern from the first line of the input,
//! the text to read from the rest; never panics.
#![no_main]
#[path = "../bodies.rs"]
mod bodies;
libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::date(data));
