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
    /// `sluice --config X` is `sluice run --config X`: run is the default command.
    #[command(flatten)]
    pub run: RunArgs,
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
    /// Events a sink could not deliver as they were: summarise them, or send them again.
    #[command(subcommand)]
    DeadLetters(DeadLettersCommand),
    /// Print a Logstash pipeline (.conf files, or directories of them) as sluice TOML,
    /// each component with the line it comes from.
    Convert(ConvertArgs),
    /// Run test cases (logstash-filter-verifier's JSON format) through the pipeline's
    /// transforms, without opening a port; print a diff per failing case.
    Test(TestArgs),
    /// Disk buffers, offline (sluice must not be running on them).
    #[command(subcommand)]
    Buffer(BufferCommand),
    /// Reports on log files, offline: errors per hour, slow requests, logins and brute
    /// force, database trouble, message templates, CSV.
    #[command(subcommand)]
    Analyze(AnalyzeCommand),
}

/// What every `sluice analyze` subcommand reads, and the definitions it counts by.
#[derive(Args, Debug, Clone)]
pub struct AnalyzeArgs {
    /// Files, directories, globs; `-` or nothing for stdin. Rotated sets (`studio.log`,
    /// `.1`, `.2.gz`) are read oldest first; gzip is read transparently.
    pub files: Vec<PathBuf>,
    /// The input format; `auto` detects it per line.
    #[arg(long, value_enum, default_value = "auto")]
    pub input_format: crate::analyze::InputFormat,
    /// Slow requests: `response_time:NNNms` above this many milliseconds.
    #[arg(long, default_value_t = 1000)]
    pub threshold: u64,
    /// Brute force: more than COUNT failed logins from one address within WINDOW.
    #[arg(long, default_value = "5/5m")]
    pub brute_force: String,
    /// Only records at or after this time: `YYYY-MM-DD HH:MM:SS` as the logs write it,
    /// RFC 3339, `today`, `yesterday`, or a duration ago such as `24h`.
    #[arg(long)]
    pub since: Option<String>,
    /// Only records before this time (the same forms).
    #[arg(long)]
    pub until: Option<String>,
    /// What "now" is for `today`, `yesterday` and `24h` (default: the clock), so that a
    /// report can be made again with the same result.
    #[arg(long)]
    pub now: Option<String>,
    /// Entries in the top lists (errors by template, patterns).
    #[arg(long, default_value_t = 10)]
    pub top: usize,
}

/// `sluice analyze` subcommands (★ names).
#[derive(Subcommand, Debug, Clone)]
pub enum AnalyzeCommand {
    /// The whole report (★ JSON with `--format json`; a table on a terminal).
    Report {
        #[command(flatten)]
        args: AnalyzeArgs,
        /// `json` or `table`; by default a table on a terminal, JSON otherwise.
        #[arg(long, value_parser = ["json", "table"])]
        format: Option<String>,
    },
    /// ERROR and CRITICAL per hour of their own timestamps.
    Errors {
        #[command(flatten)]
        args: AnalyzeArgs,
        /// Only this day (`YYYY-MM-DD`).
        #[arg(long)]
        date: Option<String>,
    },
    /// Requests over `--threshold`, slowest first.
    Slow {
        #[command(flatten)]
        args: AnalyzeArgs,
    },
    /// Logins: successes, failures, success rate, brute-force addresses.
    Auth {
        #[command(flatten)]
        args: AnalyzeArgs,
    },
    /// Database errors, connection issues, slow queries.
    Db {
        #[command(flatten)]
        args: AnalyzeArgs,
    },
    /// The most frequent message templates (Drain), with counts.
    Patterns {
        #[command(flatten)]
        args: AnalyzeArgs,
    },
    /// The anomaly model (the `anomaly` transform) run on the records, with explanations.
    Anomalies {
        #[command(flatten)]
        args: AnalyzeArgs,
        /// Windows (minutes) the model learns from before it judges.
        #[arg(long, default_value_t = 60)]
        warmup: u64,
        /// One JSON object per anomaly instead of a line of text.
        #[arg(long)]
        json: bool,
    },
    /// Findings, recommendations and the lines that show them: `database`, `auth` or
    /// `performance`.
    Troubleshoot {
        /// database, auth or performance.
        #[arg(value_parser = ["database", "auth", "performance"])]
        topic: String,
        #[command(flatten)]
        args: AnalyzeArgs,
    },
    /// Charts: ERROR and CRITICAL per hour, and the response-time distribution.
    Plot {
        #[command(flatten)]
        args: AnalyzeArgs,
        /// The chart file: `.png` or `.svg`.
        #[arg(long, default_value = "sluice-report.png")]
        out: PathBuf,
        /// A TrueType font for the text (default: DejaVu Sans where the system has it).
        #[arg(long)]
        font: Option<PathBuf>,
    },
    /// One CSV row per record: level, timestamp, module, message, response_time, ip.
    Export {
        #[command(flatten)]
        args: AnalyzeArgs,
        /// The CSV file to write.
        #[arg(long)]
        csv: PathBuf,
    },
}

#[derive(Args, Debug, Clone)]
pub struct TestArgs {
    /// The pipeline: TOML files, or Logstash `.conf` files and directories.
    #[arg(
        long = "config",
        short = 'c',
        visible_short_alias = 'f',
        required = true
    )]
    pub config: Vec<PathBuf>,
    /// Test case files.
    #[arg(long, required = true, num_args = 1..)]
    pub cases: Vec<PathBuf>,
    /// Where a pipelines.yml's relative `path.config` starts (logstash-filter-verifier's
    /// `--pipeline-base`); by default the yml's directory.
    #[arg(long)]
    pub pipeline_base: Option<PathBuf>,
}

#[derive(Args, Debug, Clone)]
pub struct ConvertArgs {
    /// The .conf files or directories, in order (Logstash's `-f` / path.config).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
}

#[derive(Subcommand, Debug, Clone)]
pub enum BufferCommand {
    /// What each disk buffer holds: segments, events and bytes waiting, the ledger.
    Inspect(BufferArgs),
    /// Check every record's checksum; exit 1 if any is damaged.
    Verify(BufferArgs),
    /// Cut damaged tails back to the last good record, so that the buffer opens clean.
    Repair(BufferArgs),
}

#[derive(Args, Debug, Clone)]
pub struct BufferArgs {
    /// The data directory (the config's `data_dir`).
    #[arg(long, required = true)]
    pub data_dir: PathBuf,
    /// Only this sink's buffer.
    #[arg(long)]
    pub sink: Option<String>,
}

#[derive(Subcommand, Debug, Clone)]
pub enum DeadLettersCommand {
    /// Count the dead letters of each sink by status and error type, with a sample reason.
    List(DeadLettersArgs),
    /// Send a sink's dead letters through the sink again (after fixing their cause: a
    /// mapping, a pipeline); only those that fail again stay.
    Replay(DeadLettersArgs),
}

#[derive(Args, Debug, Clone)]
pub struct DeadLettersArgs {
    /// The configuration the sink runs with (its data_dir and settings).
    #[arg(long = "config", short = 'c', required = true)]
    pub config: Vec<PathBuf>,
    /// The sink's id (required for replay; list shows every sink without it).
    #[arg(long)]
    pub sink: Option<String>,
    /// Overrides `data_dir`.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
}

#[derive(Args, Debug, Clone, Default)]
pub struct RunArgs {
    /// Configuration file(s); components from all files form one pipeline. Without
    /// one, the embedded default (config/default.toml) runs. `.conf` files (and
    /// directories of them) are Logstash pipelines; `-f` is Logstash's spelling.
    #[arg(long = "config", short = 'c', visible_short_alias = 'f')]
    pub config: Vec<PathBuf>,
    /// Overrides `data_dir`.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Reload when a config file changes (checked every second), as SIGHUP does.
    #[arg(long)]
    pub watch_config: bool,
}

#[derive(Args, Debug, Clone)]
pub struct ValidateArgs {
    /// TOML files, or Logstash `.conf` files and directories (`-f` as in Logstash).
    #[arg(
        long = "config",
        short = 'c',
        visible_short_alias = 'f',
        required = true
    )]
    pub config: Vec<PathBuf>,
}

pub fn init_logging(cli: &Cli) {
    use tracing_subscriber::EnvFilter;
    let filter = match &cli.log_level {
        Some(l) => EnvFilter::new(l),
        None => EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
    };
    // Colour codes only for a terminal: a log file or a journal gets plain text.
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Json => {
            let _ = JSON_LOGS.set(true);
            b.json().init()
        }
        LogFormat::Text => b.init(),
    }
}

static JSON_LOGS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();

/// True when `--log-format json` was asked for: config errors are then JSON log lines too.
pub fn json_logs() -> bool {
    JSON_LOGS.get().copied().unwrap_or(false)
}
