//! The ★ command line.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "sluice",
    version,
    about = "A log ingestion server: syslog in; parsed, tagged events out."
)]
pub struct Cli {
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Log filter, e.g. `info`, `debug`, `sluice_sources=debug` (overrides RUST_LOG).
    #[arg(long, global = true)]
    pub log_level: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand, Debug, Clone)]
pub enum Command {
    /// Run the server (the default when no command is given).
    Run(RunArgs),
    /// Check configuration files; print every problem; exit 1 if any.
    Validate(ValidateArgs),
}

impl Default for Command {
    fn default() -> Self {
        Command::Run(RunArgs::default())
    }
}

#[derive(Args, Debug, Clone, Default)]
pub struct RunArgs {
    /// Configuration file(s); components from all files form one pipeline. Without
    /// one, the embedded default (config/default.toml) runs.
    #[arg(long = "config", short = 'c')]
    pub config: Vec<PathBuf>,
    /// Overrides `data_dir`.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Reload when a config file changes (not implemented yet: refused).
    #[arg(long)]
    pub watch_config: bool,
}

#[derive(Args, Debug, Clone)]
pub struct ValidateArgs {
    #[arg(long = "config", short = 'c', required = true)]
    pub config: Vec<PathBuf>,
}

pub fn init_logging(cli: &Cli) {
    use tracing_subscriber::EnvFilter;
    let filter = match &cli.log_level {
        Some(l) => EnvFilter::new(l),
        None => EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
    };
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Json => b.json().init(),
        LogFormat::Text => b.init(),
    }
}
