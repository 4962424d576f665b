//! End-to-end tests: the real `sluice` binary (Cargo builds it for this test and names
//! it in `CARGO_BIN_EXE_sluice`), started on free loopback ports with a config in a temp
//! dir and driven by real clients and real files. One test binary, one module per area.

mod support;

mod adversarial;
mod alerts;
mod analyze;
mod beats;
mod cli;
mod deploy;
mod durability;
mod elasticsearch;
mod hardening;
mod http;
mod logstash;
mod real_senders;
mod reload;
mod robustness;
mod studio;
mod tls;
