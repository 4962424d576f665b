//! Joda-style date patterns (`yyyy-MM-dd HH:mm:ss,SSS`, `YYYY.MM.dd`) as Logstash uses them.
//!
//! Compiled once into [`JodaFormat`] items, then rendered without reparsing. Parsing with
//! these patterns belongs to the `date` transform and builds on the same items.

use chrono::{DateTime, Datelike, Timelike, Utc};
use std::fmt::Write;

/// One element of a compiled pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// Text that must appear as written.
    Literal(String),
    /// `y`/`Y` repeated: 2 = two-digit year, otherwise full.
    Year(usize),
    /// `M`: 1-2 numeric, 3 short name, 4+ full name.
    Month(usize),
    /// `d`, `dd`: day of month.
    Day(usize),
    /// `D`: day of year.
    DayOfYear(usize),
    /// `H`, `HH`: hour 0-23.
    Hour24(usize),
    /// `k`: clock hour 1-24 (24 is midnight).
    ClockHour24(usize),
    /// `h`, `hh`: hour 1-12.
    Hour12(usize),
    /// `K`: hour of the half day, 0-11.
    HalfDayHour(usize),
    /// `m`, `mm`: minute.
    Minute(usize),
    /// `s`, `ss`: second.
    Second(usize),
    /// `S` repeated: that many fraction digits.
    Fraction(usize),
    /// `a`: AM/PM.
    HalfDay,
    /// `E`: 1-3 short day name, 4+ full.
    Weekday(usize),
    /// `e`: day of the week as a number, Monday 1 to Sunday 7.
    WeekdayNumber(usize),
    /// `G`: era, `AD` (years before 1 are not supported).
    Era,
    /// `Z`: 1 `+0000`, 2 `+00:00`; `ZZZ`/`z` zone id (always `UTC` here).
    Zone(usize),
}

/// A compiled pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JodaFormat {
    items: Vec<Item>,
}

/// A pattern letter Joda has but we do not.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unsupported date pattern letter `{letter}` at column {column}")]
pub struct JodaError {
    /// The pattern letter.
    pub letter: char,
    /// Its column in the pattern.
    pub column: usize,
}

const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAY_NAMES: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

impl JodaFormat {
    /// Parses a Joda pattern (`yyyy-MM-dd HH:mm:ss,SSS`).
    pub fn parse(pattern: &str) -> Result<Self, JodaError> {
        let chars: Vec<char> = pattern.chars().collect();
        let mut items = Vec::new();
        let mut lit = String::new();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c == '\'' {
                // 'quoted text'; '' is a literal quote.
                if chars.get(i + 1) == Some(&'\'') {
                    lit.push('\'');
                    i += 2;
                    continue;
                }
                i += 1;
                while i < chars.len() {
                    if chars[i] == '\'' {
                        if chars.get(i + 1) == Some(&'\'') {
                            lit.push('\'');
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    lit.push(chars[i]);
                    i += 1;
                }
                i += 1;
                continue;
            }
            if !c.is_ascii_alphabetic() {
                lit.push(c);
                i += 1;
                continue;
            }
            let mut n = 1;
            while chars.get(i + n) == Some(&c) {
                n += 1;
            }
            let item = match c {
                'y' | 'Y' | 'x' => Item::Year(n),
                'M' => Item::Month(n),
                'd' => Item::Day(n),
                'D' => Item::DayOfYear(n),
                'H' => Item::Hour24(n),
                'k' => Item::ClockHour24(n),
                'h' => Item::Hour12(n),
                'K' => Item::HalfDayHour(n),
                'm' => Item::Minute(n),
                's' => Item::Second(n),
                'S' => Item::Fraction(n),
                'a' => Item::HalfDay,
                'E' => Item::Weekday(n),
                'e' => Item::WeekdayNumber(n),
                'G' => Item::Era,
                'Z' => Item::Zone(n),
                'z' => Item::Zone(3),
                _ => {
                    return Err(JodaError {
                        letter: c,
                        column: i + 1,
                    })
                }
            };
            if !lit.is_empty() {
                items.push(Item::Literal(std::mem::take(&mut lit)));
            }
            items.push(item);
            i += n;
        }
        if !lit.is_empty() {
            items.push(Item::Literal(lit));
        }
        Ok(JodaFormat { items })
    }

    /// The pattern's items in order.
    pub fn items(&self) -> &[Item] {
        &self.items
    }

    /// Renders `t` (in UTC, as Logstash's sprintf does).
    pub fn format_into(&self, t: &DateTime<Utc>, out: &mut String) {
        for it in &self.items {
            let _ = match it {
                Item::Literal(s) => {
                    out.push_str(s);
                    Ok(())
                }
                Item::Year(2) => write!(out, "{:02}", t.year().rem_euclid(100)),
                Item::Year(n) => write!(out, "{:0w$}", t.year(), w = *n),
                Item::Month(n) if *n >= 4 => {
                    out.push_str(MONTH_NAMES[t.month0() as usize]);
                    Ok(())
                }
                Item::Month(3) => {
                    out.push_str(&MONTH_NAMES[t.month0() as usize][..3]);
                    Ok(())
                }
                Item::Month(n) => write!(out, "{:0w$}", t.month(), w = *n),
                Item::Day(n) => write!(out, "{:0w$}", t.day(), w = *n),
                Item::DayOfYear(n) => write!(out, "{:0w$}", t.ordinal(), w = *n),
                Item::Hour24(n) => write!(out, "{:0w$}", t.hour(), w = *n),
                Item::ClockHour24(n) => {
                    let h = if t.hour() == 0 { 24 } else { t.hour() };
                    write!(out, "{h:0w$}", w = *n)
                }
                Item::Hour12(n) => write!(out, "{:0w$}", t.hour12().1, w = *n),
                Item::HalfDayHour(n) => write!(out, "{:0w$}", t.hour() % 12, w = *n),
                Item::Minute(n) => write!(out, "{:0w$}", t.minute(), w = *n),
                Item::Second(n) => write!(out, "{:0w$}", t.second(), w = *n),
                Item::Fraction(n) => {
                    let digits = format!("{:09}", t.nanosecond() % 1_000_000_000);
                    let k = (*n).min(9);
                    out.push_str(&digits[..k]);
                    for _ in k..*n {
                        out.push('0');
                    }
                    Ok(())
                }
                Item::HalfDay => {
                    out.push_str(if t.hour() < 12 { "AM" } else { "PM" });
                    Ok(())
                }
                Item::Weekday(n) => {
                    let name = DAY_NAMES[t.weekday().num_days_from_monday() as usize];
                    out.push_str(if *n >= 4 { name } else { &name[..3] });
                    Ok(())
                }
                Item::WeekdayNumber(n) => {
                    write!(out, "{:0w$}", t.weekday().number_from_monday(), w = *n)
                }
                Item::Era => {
                    out.push_str("AD");
                    Ok(())
                }
                Item::Zone(1) => {
                    out.push_str("+0000");
                    Ok(())
                }
                Item::Zone(2) => {
                    out.push_str("+00:00");
                    Ok(())
                }
                Item::Zone(_) => {
                    out.push_str("UTC");
                    Ok(())
                }
            };
        }
    }

    /// `t` formatted by the pattern.
    pub fn format(&self, t: &DateTime<Utc>) -> String {
        let mut s = String::new();
        self.format_into(t, &mut s);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn formats_logstash_patterns() {
        let t =
            Utc.with_ymd_and_hms(2026, 3, 4, 5, 6, 7).unwrap() + chrono::Duration::milliseconds(89);
        let f = |p: &str| JodaFormat::parse(p).unwrap().format(&t);
        assert_eq!(f("YYYY.MM.dd"), "2026.03.04");
        assert_eq!(f("yyyy-MM-dd HH:mm:ss,SSS"), "2026-03-04 05:06:07,089");
        assert_eq!(f("dd/MMM/yyyy:HH:mm:ss Z"), "04/Mar/2026:05:06:07 +0000");
        assert_eq!(f("EEE, d MMMM yy h a"), "Wed, 4 March 26 5 AM");
        assert_eq!(f("yyyy-MM-dd'T'HH"), "2026-03-04T05");
        assert_eq!(f("'it''s' HH"), "it's 05");
        assert_eq!(f("k K e G"), "5 5 3 AD");
        let midnight = Utc.with_ymd_and_hms(2026, 3, 8, 0, 0, 0).unwrap();
        assert_eq!(JodaFormat::parse("kk e").unwrap().format(&midnight), "24 7");
    }

    #[test]
    fn unknown_letters_are_errors_with_column() {
        assert_eq!(
            JodaFormat::parse("yyyy-qq").unwrap_err(),
            JodaError {
                letter: 'q',
                column: 6
            }
        );
    }
}
