//! The report model: how each item of a run ended and what the run counts, shared
//! by the engine that decides it and the output that prints it (as ripgrep's
//! searcher defines the `Sink` its printer implements), so neither imports the other
//! for it. A leaf: it depends on the error type and the JSON helpers only.

use std::borrow::Cow;

use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::error::ItemError;
use crate::json;

/// A request as a dry run shows it, secrets redacted: what the output needs of a
/// request without knowing the engine's type.
pub trait Shown {
    /// As JSON: method, URL, headers, body.
    fn display_json(&self) -> Value;
    /// As text, like an HTTP message.
    fn display_text(&self) -> String;
}

/// An item's answer: a value certctl built or looked into, or the provider's JSON
/// passed through as it came. Most answers (a DigiCert revoke request, say) are
/// only copied into the report; checking them as JSON without building a tree is
/// several times cheaper than parsing them into a [`Value`] and writing it back.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A value certctl built or inspected.
    Value(Value),
    /// Valid JSON exactly as the provider sent it.
    Raw(Box<RawValue>),
}

impl Reply {
    /// `body` as a pass-through reply, if it is JSON and not `null`.
    pub fn raw(body: &[u8]) -> Option<Reply> {
        let raw: Box<RawValue> = serde_json::from_slice(body).ok()?;
        (raw.get() != "null").then_some(Reply::Raw(raw))
    }

    /// The reply as a value, parsed if it was passed through (text output, tests).
    pub fn value(&self) -> Cow<'_, Value> {
        match self {
            Reply::Value(v) => Cow::Borrowed(v),
            // Valid JSON by construction, so the fallback never shows.
            Reply::Raw(raw) => Cow::Owned(serde_json::from_str(raw.get()).unwrap_or(Value::Null)),
        }
    }

    /// Whether two replies hold the same answer: the items of one batched request
    /// carry copies of its one answer, which text output shows once.
    pub fn same_as(&self, other: &Reply) -> bool {
        match (self, other) {
            (Reply::Raw(a), Reply::Raw(b)) => a.get() == b.get(),
            (Reply::Value(a), Reply::Value(b)) => a == b,
            _ => false,
        }
    }

    /// Appends the reply as compact JSON.
    pub fn push_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        match self {
            Reply::Value(v) => serde_json::to_writer(&mut *out, v),
            Reply::Raw(raw) => {
                json::push_compact(out, raw.get());
                Ok(())
            }
        }
    }
}

impl From<Value> for Reply {
    fn from(v: Value) -> Self {
        Reply::Value(v)
    }
}

/// How one item ended, as its report line and journal `done` line say.
#[derive(Debug, Clone)]
pub enum ItemResult {
    /// The operation's documented success, with what the provider returned for it.
    Succeeded(Option<Reply>),
    /// A clear refusal or failure: the change was not applied.
    Failed(ItemError),
    /// The change may or may not have been applied (README, "When a run is cut or its outcome is unknown"):
    /// sending it again could apply it twice.
    Unknown(ItemError),
}

impl ItemResult {
    /// `succeeded`, `failed` or `unknown`: the item's `outcome` field.
    pub fn outcome(&self) -> &'static str {
        match self {
            ItemResult::Succeeded(_) => "succeeded",
            ItemResult::Failed(_) => "failed",
            ItemResult::Unknown(_) => "unknown",
        }
    }

    /// Why it failed or is unknown.
    pub fn error(&self) -> Option<&ItemError> {
        match self {
            ItemResult::Succeeded(_) => None,
            ItemResult::Failed(e) | ItemResult::Unknown(e) => Some(e),
        }
    }
}

/// The result of one item.
#[derive(Debug, Clone)]
pub struct ItemOutcome {
    /// The item's ID as the user gave it.
    pub id: String,
    /// What the provider returned for it, or why it failed or is unknown.
    pub result: ItemResult,
}

impl ItemOutcome {
    /// Appends the item as a JSON object: `id`, `outcome`, then `response` or
    /// `error`, and for NDJSON lines, which stand alone, `type` and `run_id`.
    pub fn push_json(&self, out: &mut Vec<u8>, run_id: Option<&str>) -> serde_json::Result<()> {
        out.extend_from_slice(b"{\"id\":");
        json::push_str(out, &self.id);
        out.extend_from_slice(b",\"outcome\":\"");
        out.extend_from_slice(self.result.outcome().as_bytes());
        out.push(b'"');
        match &self.result {
            ItemResult::Succeeded(response) => {
                if let Some(r) = response {
                    out.extend_from_slice(b",\"response\":");
                    r.push_json(out)?;
                }
            }
            ItemResult::Failed(e) | ItemResult::Unknown(e) => {
                out.extend_from_slice(b",\"error\":");
                serde_json::to_writer(&mut *out, e)?;
            }
        }
        if let Some(run_id) = run_id {
            out.extend_from_slice(b",\"type\":\"item\",\"run_id\":");
            json::push_str(out, run_id);
        }
        out.push(b'}');
        Ok(())
    }
}

/// Counts of a run, as its `summary` object.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    /// Every item, skipped ones and (after an interruption) unsent ones included.
    pub total: u64,
    /// Items that succeeded.
    pub succeeded: u64,
    /// Items that failed.
    pub failed: u64,
    /// Items that may or may not have been applied.
    pub unknown: u64,
    /// Items not sent because `--resume` found them done.
    pub skipped: u64,
}

impl Summary {
    /// `unknown`, `succeeded`, `partial` or `failed` (`schemas/operation.json`).
    pub fn outcome(&self) -> &'static str {
        if self.unknown > 0 {
            "unknown"
        } else if self.failed == 0 {
            "succeeded"
        } else if self.succeeded > 0 {
            "partial"
        } else {
            "failed"
        }
    }
}

/// One line describing an item error: kind, status, code and message.
pub fn describe(e: &ItemError) -> String {
    let mut s = e.kind.as_str().to_string();
    match (&e.http_status, &e.code) {
        (Some(st), Some(c)) => s.push_str(&format!(" (HTTP {st}, {c})")),
        (Some(st), None) => s.push_str(&format!(" (HTTP {st})")),
        (None, Some(c)) => s.push_str(&format!(" ({c})")),
        (None, None) => {}
    }
    s.push_str(": ");
    s.push_str(&e.message);
    s
}

/// Where a run reports: its items as they complete, then its summary. The engine
/// writes only to this trait (as ripgrep's searcher writes to its `Sink`); the
/// output's text, JSON and NDJSON reporter implements it, and the engine's own
/// tests hold a list.
pub trait Sink: Send {
    /// Reports items as they complete; an error stops the run (a closed pipe, as
    /// Ctrl-C would).
    fn items(&mut self, items: &[ItemOutcome]) -> std::io::Result<()>;
    /// Ends the report with the summary, whether the run was cut, and remarks.
    fn finish(
        self: Box<Self>,
        summary: Summary,
        interrupted: bool,
        notes: &[String],
    ) -> std::io::Result<()>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_replies_are_written_compact_and_read_back_as_values() {
        let reply = Reply::raw(b" {\n \"id\": 7, \"status\": \"pending\" }\n").unwrap();
        let mut out = Vec::new();
        reply.push_json(&mut out).unwrap();
        assert_eq!(out, br#"{"id":7,"status":"pending"}"#);
        assert_eq!(reply.value()["status"], "pending");
    }

    #[test]
    fn copies_of_one_answer_are_the_same_reply() {
        let raw = Reply::raw(br#"{"message":"2 certificates disabled."}"#).unwrap();
        assert!(raw.same_as(&raw.clone()));
        assert!(!raw.same_as(&Reply::raw(br#"{"message":"other"}"#).unwrap()));
        let value = Reply::from(serde_json::json!({"id": 1}));
        assert!(value.same_as(&value.clone()));
        assert!(!value.same_as(&raw));
    }

    #[test]
    fn null_empty_and_broken_bodies_are_no_reply() {
        for body in [&b"null"[..], b"", b" ", b"{\"id\":", b"not json"] {
            assert!(Reply::raw(body).is_none(), "{body:?}");
        }
    }
}
