//! The counters behind `GET /_sandbox/stats`.

use std::collections::BTreeMap;

use serde_json::{Value, json};

/// Counters behind `GET /_sandbox/stats`, so a test can prove what arrived and that
/// nothing was applied twice.
#[derive(Debug, Default)]
pub(super) struct Stats {
    requests: BTreeMap<String, u64>,
    changes: BTreeMap<String, u64>,
}

impl Stats {
    /// Count an arrived API request, keyed `METHOD /path` (no query).
    pub(super) fn request(&mut self, key: &str) {
        *self.requests.entry(key.to_owned()).or_default() += 1;
    }

    /// Count one real state transition of an item (`bcdiploma:KEY`,
    /// `digicert:order:1001`, ...). Re-applying a state an item already has is no
    /// change.
    pub(super) fn change(&mut self, item: String) {
        *self.changes.entry(item).or_default() += 1;
    }

    pub(super) fn to_json(&self) -> Value {
        json!({ "requests": self.requests, "changes": self.changes })
    }
}
