//! Facility and severity names (RFC 5424 keywords; facility names as syslog.conf spells them).

const FACILITIES: [&str; 24] = [
    "kern",
    "user",
    "mail",
    "daemon",
    "auth",
    "syslog",
    "lpr",
    "news",
    "uucp",
    "cron",
    "authpriv",
    "ftp",
    "ntp",
    "security",
    "console",
    "solaris-cron",
    "local0",
    "local1",
    "local2",
    "local3",
    "local4",
    "local5",
    "local6",
    "local7",
];

const SEVERITIES: [&str; 8] = [
    "emergency",
    "alert",
    "critical",
    "error",
    "warning",
    "notice",
    "informational",
    "debug",
];

/// `16` -> `"local0"`.
pub fn facility_name(code: u8) -> Option<&'static str> {
    FACILITIES.get(code as usize).copied()
}

/// `6` -> `"informational"`.
pub fn severity_name(code: u8) -> Option<&'static str> {
    SEVERITIES.get(code as usize).copied()
}

/// Severity code from a name or common alias (`err`, `warn`, `info`, `crit`, `emerg`).
pub fn severity_code(name: &str) -> Option<u8> {
    let n = name.to_ascii_lowercase();
    Some(match n.as_str() {
        "emergency" | "emerg" | "panic" => 0,
        "alert" => 1,
        "critical" | "crit" => 2,
        "error" | "err" => 3,
        "warning" | "warn" => 4,
        "notice" => 5,
        "informational" | "info" => 6,
        "debug" => 7,
        _ => return None,
    })
}
