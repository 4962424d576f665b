//! The `_bulk` body and response: pure, no I/O.
//!
//! Each event is encoded once per batch, action line and document together, and kept as
//! a range of the body, so that a retry sends the failed items' bytes again without
//! encoding them again.

use super::config::{Action, Settings, Target};
use sluice_event::Event;
use std::ops::Range;

/// One document of a batch: its bytes in the body.
#[derive(Clone, Debug)]
pub(crate) struct Item {
    pub(crate) bytes: Range<usize>,
    /// Attempts made so far.
    pub(crate) attempts: u32,
    /// An attempt had an unknown fate (no answer after the request was sent): it may be
    /// stored already.
    pub(crate) unknown: bool,
}

fn json_str(out: &mut Vec<u8>, s: &str) {
    // serde_json's escaping; writing into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

/// Writes the index (or data stream) `e` goes to into `out`.
pub(crate) fn index_into(e: &Event, s: &Settings, out: &mut String) {
    match &s.target {
        Target::Index(t) => {
            t.render_into(e, out);
        }
        Target::DataStream(d) => d.name_into(e, out),
    }
}

/// Appends `e` as an action line and a document line; returns its item. With a data
/// stream, `e`'s `data_stream.*` fields are synced first.
pub(crate) fn encode(e: &mut Event, s: &Settings, out: &mut Vec<u8>, scratch: &mut String) -> Item {
    let start = out.len();
    if let Target::DataStream(d) = &s.target {
        d.sync(e);
    }
    scratch.clear();
    index_into(e, s, scratch);
    out.extend_from_slice(b"{\"");
    out.extend_from_slice(s.action.as_str().as_bytes());
    out.extend_from_slice(b"\":{\"_index\":");
    json_str(out, scratch);
    if let Some(id) = &s.document_id {
        scratch.clear();
        id.render_into(e, scratch);
        out.extend_from_slice(b",\"_id\":");
        json_str(out, scratch);
    }
    out.extend_from_slice(b"}}\n");
    e.write_json(out);
    out.push(b'\n');
    Item {
        bytes: start..out.len(),
        attempts: 0,
        unknown: false,
    }
}

/// What Elasticsearch said about one item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ItemResult {
    pub(crate) status: u16,
    pub(crate) error_type: Option<String>,
    pub(crate) reason: Option<String>,
}

/// The items of a `_bulk` response in request order; an error when the body is not a
/// bulk response, or when it does not have exactly `expected` items (never a success).
pub(crate) fn parse_response(body: &[u8], expected: usize) -> Result<Vec<ItemResult>, String> {
    let v: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| format!("the _bulk response is not JSON: {e}"))?;
    let items = v
        .get("items")
        .and_then(|i| i.as_array())
        .ok_or("the _bulk response has no `items`")?;
    if items.len() != expected {
        return Err(format!(
            "the _bulk response has {} items for {expected} sent",
            items.len()
        ));
    }
    items
        .iter()
        .map(|it| {
            let inner = it
                .as_object()
                .and_then(|o| o.values().next())
                .ok_or("a _bulk response item is not an object")?;
            let status = inner
                .get("status")
                .and_then(|s| s.as_u64())
                .ok_or("a _bulk response item has no status")? as u16;
            let err = inner.get("error");
            Ok(ItemResult {
                status,
                error_type: err
                    .and_then(|e| e.get("type"))
                    .and_then(|t| t.as_str())
                    .map(str::to_owned),
                reason: err
                    .and_then(|e| e.get("reason"))
                    .and_then(|t| t.as_str())
                    .map(str::to_owned),
            })
        })
        .collect()
}

/// Whether an item with this result is delivered, a duplicate (409 on `create`), or
/// failed.
pub(crate) fn delivered(r: &ItemResult, action: Action) -> Option<bool> {
    match r.status {
        200..=299 => Some(false),
        409 if action == Action::Create => Some(true),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_are_read_item_by_item_and_counts_must_match() {
        let body = br#"{"errors":true,"items":[{"index":{"status":201}},{"create":{"status":400,"error":{"type":"document_parsing_exception","reason":"bad n"}}},{"create":{"status":429,"error":{"type":"es_rejected_execution_exception","reason":"busy"}}},{"create":{"status":409,"error":{"type":"version_conflict_engine_exception","reason":"exists"}}}]}"#;
        let r = parse_response(body, 4).unwrap();
        assert_eq!(r[0].status, 201);
        assert_eq!(
            r[1].error_type.as_deref(),
            Some("document_parsing_exception")
        );
        assert_eq!(r[2].status, 429);
        assert_eq!(delivered(&r[0], Action::Index), Some(false));
        assert_eq!(delivered(&r[3], Action::Create), Some(true));
        assert_eq!(delivered(&r[3], Action::Index), None);
        assert!(parse_response(body, 5)
            .unwrap_err()
            .contains("4 items for 5 sent"));
        assert!(parse_response(b"<html>", 1).is_err());
        assert!(parse_response(b"{\"took\":1}", 1).is_err());
    }
}
