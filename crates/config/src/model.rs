//! The validated pipeline and the per-component settings (★ keys).

use crate::units::{ByteSize, HumanDuration};
use serde::Deserialize;
use sluice_event::FieldPath;
use sluice_parse::condition::Condition;
use sluice_parse::template::{FieldName, Template};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// A whole, validated configuration.
#[derive(Clone, Debug)]
pub struct Pipeline {
    /// Buffers, dead letters, state; relative sink paths resolve against it.
    pub data_dir: PathBuf,
    pub admin: AdminConfig,
    /// How long shutdown may take to drain and flush before exiting anyway.
    pub shutdown_grace: Duration,
    pub sources: BTreeMap<String, SourceNode>,
    pub transforms: BTreeMap<String, TransformNode>,
    pub sinks: BTreeMap<String, SinkNode>,
    /// Where the configuration came from, for messages.
    pub files: Vec<String>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AdminConfig {
    #[serde(default = "default_admin")]
    pub address: SocketAddr,
    /// Set `enabled = false` to run without the admin HTTP server.
    #[serde(default = "yes")]
    pub enabled: bool,
}

impl Default for AdminConfig {
    fn default() -> Self {
        AdminConfig {
            address: default_admin(),
            enabled: true,
        }
    }
}

fn default_admin() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 9600))
}
fn yes() -> bool {
    true
}

// ---------------------------------------------------------------- sources

#[derive(Clone, Debug)]
pub struct SourceNode {
    pub id: String,
    pub config: SourceConfig,
}

#[derive(Clone, Debug)]
pub enum SourceConfig {
    Syslog(SyslogSourceConfig),
    Beats(BeatsSourceConfig),
    JsonLines(JsonLinesSourceConfig),
    Http(HttpSourceConfig),
}

/// The transport a listener uses; two sources may share an address on different ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Transport {
    Udp,
    Tcp,
}

impl Transport {
    pub fn name(self) -> &'static str {
        match self {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
        }
    }
}

impl SourceConfig {
    pub fn type_name(&self) -> &'static str {
        match self {
            SourceConfig::Syslog(_) => "syslog",
            SourceConfig::Beats(_) => "beats",
            SourceConfig::JsonLines(_) => "json_lines",
            SourceConfig::Http(_) => "http",
        }
    }

    /// The address the source listens on, and over what.
    pub fn listener(&self) -> (Transport, SocketAddr) {
        match self {
            SourceConfig::Syslog(c) => match c.mode {
                SyslogMode::Udp => (Transport::Udp, c.address),
                SyslogMode::Tcp | SyslogMode::Tls => (Transport::Tcp, c.address),
            },
            SourceConfig::Beats(c) => (Transport::Tcp, c.address),
            SourceConfig::JsonLines(c) => (Transport::Tcp, c.address),
            SourceConfig::Http(c) => (Transport::Tcp, c.address),
        }
    }
}

/// `type = "beats"`: Lumberjack v2 (Filebeat, Winlogbeat, pylogbeat, Logstash's output).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BeatsSourceConfig {
    #[serde(default = "default_beats_address")]
    pub address: SocketAddr,
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    /// Close a connection that sends nothing (and awaits no ACK) for this long.
    #[serde(default = "default_beats_idle")]
    pub idle_timeout: HumanDuration,
    /// Largest window a client may announce, in events.
    #[serde(default = "default_max_window")]
    pub max_window: u32,
    /// Largest single frame, compressed blocks included.
    #[serde(default = "default_max_frame")]
    pub max_frame_bytes: ByteSize,
    /// Largest size a compressed block may inflate to.
    #[serde(default = "default_max_inflated")]
    pub max_inflated_bytes: ByteSize,
    /// While a window waits for the pipeline, send a keepalive ACK this often.
    #[serde(default = "default_keepalive")]
    pub ack_keepalive: HumanDuration,
}

fn default_beats_address() -> SocketAddr {
    SocketAddr::from(([0, 0, 0, 0], 5044))
}
fn default_beats_idle() -> HumanDuration {
    // Logstash's client_inactivity_timeout.
    HumanDuration(Duration::from_secs(60))
}
fn default_max_window() -> u32 {
    16384
}
fn default_max_frame() -> ByteSize {
    ByteSize(16 << 20)
}
fn default_max_inflated() -> ByteSize {
    ByteSize(64 << 20)
}
fn default_keepalive() -> HumanDuration {
    HumanDuration(Duration::from_secs(5))
}

/// `type = "json_lines"`: one JSON object per line over TCP.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonLinesSourceConfig {
    #[serde(default = "default_json_lines_address")]
    pub address: SocketAddr,
    /// Longer lines are cut here, tagged `_truncated` and counted; the stream goes on.
    #[serde(default = "default_max_line")]
    pub max_line_bytes: ByteSize,
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    #[serde(default = "default_idle")]
    pub idle_timeout: HumanDuration,
    #[serde(default = "default_batch")]
    pub batch_size: usize,
}

/// `type = "http"`: `POST` NDJSON or a JSON array of objects.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSourceConfig {
    #[serde(default = "default_http_address")]
    pub address: SocketAddr,
    /// The one path that accepts events.
    #[serde(default = "default_http_path")]
    pub path: String,
    /// Larger bodies (after gzip decoding, too) are refused with 413.
    #[serde(default = "default_max_body")]
    pub max_body_bytes: ByteSize,
    #[serde(default)]
    pub auth: Option<HttpAuth>,
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    /// How long a request waits for its events to be written before answering 503.
    #[serde(default = "default_ack_timeout")]
    pub ack_timeout: HumanDuration,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpAuth {
    /// Requests must carry `Authorization: Bearer <token>`.
    pub bearer_token: String,
}

fn default_http_address() -> SocketAddr {
    SocketAddr::from(([0, 0, 0, 0], 8080))
}
fn default_http_path() -> String {
    "/".into()
}
fn default_max_body() -> ByteSize {
    ByteSize(10 << 20)
}
fn default_ack_timeout() -> HumanDuration {
    HumanDuration(Duration::from_secs(30))
}

fn default_json_lines_address() -> SocketAddr {
    SocketAddr::from(([0, 0, 0, 0], 5170))
}
fn default_max_line() -> ByteSize {
    ByteSize(1 << 20)
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SyslogMode {
    Udp,
    Tcp,
    Tls,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum FramingConfig {
    #[default]
    Auto,
    OctetCounting,
    Newline,
    Nul,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyslogSourceConfig {
    pub mode: SyslogMode,
    pub address: SocketAddr,
    #[serde(default)]
    pub framing: FramingConfig,
    #[serde(default = "default_max_message")]
    pub max_message_bytes: ByteSize,
    /// Zone for RFC 3164 timestamps that carry none.
    #[serde(default = "default_tz")]
    pub timezone: String,
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    /// Close a TCP connection that sends nothing for this long.
    #[serde(default = "default_idle")]
    pub idle_timeout: HumanDuration,
    /// Copy the raw message into `event.original`.
    #[serde(default)]
    pub keep_original: bool,
    /// SO_RCVBUF for UDP; larger rides out bursts.
    #[serde(default)]
    pub receive_buffer_bytes: Option<ByteSize>,
    /// Events per batch handed to the pipeline.
    #[serde(default = "default_batch")]
    pub batch_size: usize,
}

fn default_max_message() -> ByteSize {
    ByteSize(65536)
}
fn default_tz() -> String {
    "UTC".into()
}
fn default_max_connections() -> usize {
    1024
}
fn default_idle() -> HumanDuration {
    HumanDuration(Duration::from_secs(600))
}
fn default_batch() -> usize {
    512
}

// ---------------------------------------------------------------- transforms

#[derive(Clone, Debug)]
pub struct TransformNode {
    pub id: String,
    pub inputs: Vec<String>,
    /// `if`: applies only where it holds; other events pass through unchanged.
    pub condition: Option<Condition>,
    pub config: TransformConfig,
}

#[derive(Clone, Debug)]
pub enum TransformConfig {
    Mutate(MutateSpec),
    /// Keeps events where `if` holds; drops the rest.
    Filter,
    /// Drops events (where `if` holds, or all).
    Drop,
    Grok(GrokSpec),
    Date(DateSpec),
    Route(RouteSpec),
    Json(JsonSpec),
    Kv(KvSpec),
    Redact(RedactSpec),
}

/// `redact`: secrets and personal data replaced before anything is written.
#[derive(Clone, Debug)]
pub struct RedactSpec {
    pub redactor: std::sync::Arc<sluice_parse::redact::Redactor>,
    /// The fields scanned; empty means every string anywhere in the event.
    pub fields: Vec<FieldPath>,
}

/// `json`: parse a field as JSON.
#[derive(Clone, Debug)]
pub struct JsonSpec {
    pub source: FieldPath,
    /// Where the result goes; `None` merges an object into the event's root.
    pub target: Option<FieldPath>,
    pub skip_on_invalid_json: bool,
    pub tag_on_failure: Vec<String>,
    pub on_success: MutateSpec,
}

/// `kv`: split `key=value` pairs out of a field.
#[derive(Clone, Debug)]
pub struct KvSpec {
    pub source: FieldPath,
    pub target: Option<FieldPath>,
    pub options: sluice_parse::kv::KvOptions,
    pub include_keys: Vec<String>,
    pub exclude_keys: Vec<String>,
    pub prefix: String,
    /// Off: a repeated key with a value it already has adds nothing.
    pub allow_duplicate_values: bool,
    /// Added when the text does not have them.
    pub default_keys: Vec<(String, String)>,
    pub transform_key: Option<CaseChange>,
    pub transform_value: Option<CaseChange>,
    /// Values in `()`, `[]` or `<>` that hold pairs become objects.
    pub recursive: bool,
    pub on_success: MutateSpec,
}

/// kv's `transform_key` / `transform_value`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseChange {
    Lowercase,
    Uppercase,
    Capitalize,
}

impl CaseChange {
    pub fn apply(self, s: &str) -> String {
        match self {
            CaseChange::Lowercase => s.to_lowercase(),
            CaseChange::Uppercase => s.to_uppercase(),
            CaseChange::Capitalize => {
                let mut c = s.chars();
                match c.next() {
                    Some(first) => first
                        .to_uppercase()
                        .chain(c.flat_map(char::to_lowercase))
                        .collect(),
                    None => String::new(),
                }
            }
        }
    }
}

/// `route`: named conditions. Downstream components take `<id>.<name>` as an input, or
/// `<id>._unmatched` for events that matched no route. An event goes to every route it
/// matches.
#[derive(Clone, Debug)]
pub struct RouteSpec {
    pub routes: Vec<(String, Condition)>,
}

/// The output of a route for events that matched none of its conditions.
pub const UNMATCHED: &str = "_unmatched";

impl Pipeline {
    /// The component that produces `input`: a source or transform id, or `<route>.<name>`
    /// of a route transform. `Err` says why not.
    pub fn producer_of<'a>(&'a self, input: &'a str) -> Result<&'a str, String> {
        if self.sources.contains_key(input) {
            return Ok(input);
        }
        if let Some(t) = self.transforms.get(input) {
            if let TransformConfig::Route(r) = &t.config {
                let names: Vec<&str> = r.routes.iter().map(|(n, _)| n.as_str()).collect();
                return Err(format!(
                    "`{input}` is a route: take one of its outputs, `{input}.<name>` ({}) or `{input}.{UNMATCHED}`",
                    names.join(", ")
                ));
            }
            return Ok(input);
        }
        if let Some((id, out)) = input.split_once('.') {
            if let Some((tid, t)) = self.transforms.get_key_value(id) {
                if let TransformConfig::Route(r) = &t.config {
                    if out == UNMATCHED || r.routes.iter().any(|(n, _)| n == out) {
                        return Ok(tid.as_str());
                    }
                    return Err(format!("route `{id}` has no output `{out}`"));
                }
            }
        }
        if self.sinks.contains_key(input) {
            return Err(format!(
                "unknown input `{input}` (it is a sink; sinks produce nothing)"
            ));
        }
        Err(format!("unknown input `{input}`"))
    }
}

impl TransformConfig {
    pub fn type_name(&self) -> &'static str {
        match self {
            TransformConfig::Mutate(_) => "mutate",
            TransformConfig::Filter => "filter",
            TransformConfig::Drop => "drop",
            TransformConfig::Grok(_) => "grok",
            TransformConfig::Date(_) => "date",
            TransformConfig::Route(_) => "route",
            TransformConfig::Json(_) => "json",
            TransformConfig::Kv(_) => "kv",
            TransformConfig::Redact(_) => "redact",
        }
    }
}

/// `grok`, compiled: every pattern expanded and compiled at load time.
#[derive(Clone, Debug)]
pub struct GrokSpec {
    /// The field matched (`field`, default `message`).
    pub field: FieldPath,
    /// Tried in order; the first match wins unless `break_on_match = false`.
    pub patterns: Vec<std::sync::Arc<sluice_grok::Grok>>,
    pub break_on_match: bool,
    /// Where each capture of each pattern goes (`[pattern][capture]`).
    pub destinations: Vec<Vec<GrokDestination>>,
    pub keep_empty_captures: bool,
    pub tag_on_failure: Vec<String>,
    pub tag_on_timeout: String,
    /// Wall-clock budget per event across all patterns.
    pub timeout: Duration,
    /// add_field / add_tag / remove_field / remove_tag, applied when a pattern matched.
    pub on_success: MutateSpec,
}

/// Where one grok capture goes.
#[derive(Clone, Debug)]
pub struct GrokDestination {
    /// Its field, under `target` when one is set.
    pub path: FieldPath,
    /// In `overwrite`: replaced, instead of made an array.
    pub overwrite: bool,
    /// The matched field itself, overwritten, by the only capture of its pattern that
    /// writes there (`%{GREEDYDATA:message}` with `overwrite = ["message"]`): the field
    /// can be cut down to the capture in place, without a copy.
    pub in_place: bool,
}

/// `date`, compiled.
#[derive(Clone, Debug)]
pub struct DateSpec {
    pub field: FieldPath,
    pub formats: Vec<sluice_parse::date::DateFormat>,
    pub timezone: chrono_tz::Tz,
    pub target: FieldPath,
    pub tag_on_failure: Vec<String>,
    pub on_success: MutateSpec,
}

/// `mutate` `convert` types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConvertType {
    /// Thousands may be grouped with `,` (`1,000`); a fraction is truncated.
    Integer,
    /// Thousands may be grouped with `,` (`1,000.5`).
    Float,
    /// European digits: `.` groups thousands and `,` is the decimal mark (`1.000,5`).
    IntegerEu,
    FloatEu,
    String,
    Boolean,
}

#[derive(Clone, Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct MutateRaw {
    #[serde(default)]
    pub rename: BTreeMap<String, String>,
    /// Sets the field, creating it when absent.
    #[serde(default)]
    pub replace: BTreeMap<String, String>,
    /// Sets the field only when it exists.
    #[serde(default)]
    pub update: BTreeMap<String, String>,
    /// Sets a field that exists but is null.
    #[serde(default)]
    pub coerce: BTreeMap<String, String>,
    #[serde(default)]
    pub capitalize: Vec<String>,
    #[serde(default)]
    pub lowercase: Vec<String>,
    #[serde(default)]
    pub uppercase: Vec<String>,
    #[serde(default)]
    pub add_field: BTreeMap<String, String>,
    #[serde(default)]
    pub add_tag: Vec<String>,
    #[serde(default)]
    pub remove_field: Vec<String>,
    #[serde(default)]
    pub remove_tag: Vec<String>,
    #[serde(default)]
    pub convert: BTreeMap<String, String>,
    /// `[[field, regex, replacement], ...]`
    #[serde(default)]
    pub gsub: Vec<Vec<String>>,
    #[serde(default)]
    pub strip: Vec<String>,
    #[serde(default)]
    pub split: BTreeMap<String, String>,
    #[serde(default)]
    pub join: BTreeMap<String, String>,
    /// destination -> source
    #[serde(default)]
    pub merge: BTreeMap<String, String>,
    /// source -> destination
    #[serde(default)]
    pub copy: BTreeMap<String, String>,
}

/// `mutate`, compiled: paths parsed, templates compiled.
#[derive(Clone, Debug, Default)]
pub struct MutateSpec {
    pub coerce: Vec<(FieldPath, Template)>,
    pub rename: Vec<(FieldPath, FieldPath)>,
    pub update: Vec<(FieldPath, Template)>,
    pub replace: Vec<(FieldPath, Template)>,
    pub convert: Vec<(FieldPath, ConvertType)>,
    pub gsub: Vec<(FieldPath, regex::Regex, String)>,
    pub uppercase: Vec<FieldPath>,
    pub capitalize: Vec<FieldPath>,
    pub lowercase: Vec<FieldPath>,
    pub strip: Vec<FieldPath>,
    pub split: Vec<(FieldPath, String)>,
    pub join: Vec<(FieldPath, String)>,
    /// (destination, source)
    pub merge: Vec<(FieldPath, FieldPath)>,
    /// (source, destination)
    pub copy: Vec<(FieldPath, FieldPath)>,
    pub add_field: Vec<(FieldName, Template)>,
    pub add_tag: Vec<Template>,
    pub remove_field: Vec<FieldName>,
    pub remove_tag: Vec<Template>,
}

// ---------------------------------------------------------------- sinks

#[derive(Clone, Debug)]
pub struct SinkNode {
    pub id: String,
    pub inputs: Vec<String>,
    /// `if`: the sink writes only events where it holds.
    pub condition: Option<Condition>,
    pub buffer: BufferConfig,
    pub config: SinkConfig,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WhenFull {
    Block,
    DropNewest,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BufferConfig {
    pub max_events: usize,
    pub when_full: WhenFull,
}

impl Default for BufferConfig {
    fn default() -> Self {
        BufferConfig {
            max_events: 10_000,
            when_full: WhenFull::Block,
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum BufferRaw {
    Memory {
        #[serde(default = "default_buffer_events")]
        max_events: usize,
    },
    Disk {
        max_bytes: ByteSize,
    },
}

fn default_buffer_events() -> usize {
    10_000
}

#[derive(Clone, Debug)]
pub enum SinkConfig {
    File(FileSinkConfig),
    Console(ConsoleSinkConfig),
    Blackhole,
}

impl SinkConfig {
    pub fn type_name(&self) -> &'static str {
        match self {
            SinkConfig::File(_) => "file",
            SinkConfig::Console(_) => "console",
            SinkConfig::Blackhole => "blackhole",
        }
    }
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum EncodingKind {
    #[default]
    Json,
    Text,
}

/// How each event becomes one line.
#[derive(Clone, Debug)]
pub enum Encoding {
    Json,
    Text(Template),
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Compression {
    Gzip,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSinkRaw {
    pub path: String,
    #[serde(default)]
    pub encoding: EncodingKind,
    pub template: Option<String>,
    pub max_bytes: Option<ByteSize>,
    #[serde(default = "default_backups")]
    pub backup_count: usize,
    pub rotate_every: Option<HumanDuration>,
    pub max_age: Option<HumanDuration>,
    pub compress: Option<Compression>,
    #[serde(default)]
    pub fsync: bool,
    #[serde(default = "default_open_files")]
    pub max_open_files: usize,
}

fn default_backups() -> usize {
    5
}
fn default_open_files() -> usize {
    256
}

#[derive(Clone, Debug)]
pub struct FileSinkConfig {
    /// Resolved against `data_dir` when relative.
    pub path: Template,
    pub encoding: Encoding,
    /// Size rotation like Python's RotatingFileHandler.
    pub max_bytes: Option<u64>,
    pub backup_count: usize,
    /// Time rotation; the rotated file gets a dated suffix.
    pub rotate_every: Option<Duration>,
    /// Rotated files older than this are removed.
    pub max_age: Option<Duration>,
    pub compress: Option<Compression>,
    pub fsync: bool,
    pub max_open_files: usize,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum ConsoleTarget {
    #[default]
    Stdout,
    Stderr,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsoleSinkRaw {
    #[serde(default)]
    pub encoding: EncodingKind,
    pub template: Option<String>,
    #[serde(default)]
    pub target: ConsoleTarget,
}

#[derive(Clone, Debug)]
pub struct ConsoleSinkConfig {
    pub encoding: Encoding,
    pub target: ConsoleTarget,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Empty {}
