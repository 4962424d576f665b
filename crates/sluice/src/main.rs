//! sluice: a log ingestion server. Syslog in; parsed, tagged events out to rotated files.
//!
//! This crate is the binary: command line, logging, signals and the admin HTTP server.
//! Everything else lives in the library crates; only this crate uses `anyhow`.

mod admin;
mod analyze;
mod buffer;
mod cli;
mod dead_letters;
mod run;
mod test_cmd;

use clap::Parser;

// Events are allocated on the reader threads and freed on the sink threads; glibc's
// allocator handles that cross-thread pattern badly (measured in docs/BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    cli::init_logging(&cli);
    match cli
        .command
        .clone()
        .unwrap_or(cli::Command::Run(cli.run.clone()))
    {
        cli::Command::Run(args) => run::run(args),
        cli::Command::Validate(args) => run::validate(args),
        cli::Command::DeadLetters(cmd) => dead_letters::main(cmd),
        cli::Command::Buffer(cmd) => buffer::main(cmd),
        cli::Command::Convert(args) => convert(args),
        cli::Command::Analyze(cmd) => match analyze::main(cmd) {
            Ok(code) => ExitCode::from(code as u8),
            Err(e) => {
                eprintln!("sluice analyze: {e:#}");
                ExitCode::from(2)
            }
        },
        cli::Command::Test(args) => {
            test_cmd::main(&args.config, args.pipeline_base.as_deref(), &args.cases)
        }
    }
}

/// `sluice convert FILE.conf... | pipelines.yml`: the TOML Logstash pipelines become.
fn convert(args: cli::ConvertArgs) -> std::process::ExitCode {
    let (pipelines, mut warnings) = match sluice_config::read_pipelines(&args.paths, None) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{e}");
            return std::process::ExitCode::from(1);
        }
    };
    match sluice_config::logstash::pipelines_to_toml(&pipelines) {
        Ok((toml, more)) => {
            warnings.extend(more);
            for w in warnings {
                eprintln!("sluice: warning: {w}");
            }
            print!("{toml}");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            std::process::ExitCode::from(1)
        }
    }
}
