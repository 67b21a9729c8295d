//! What a provider answered for one item, as it goes into a report.

use std::borrow::Cow;

use serde_json::Value;
use serde_json::value::RawValue;

use crate::json;

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
