//! Emulated BCdiploma admin API under `/bcdiploma`: campaign history deletion and
//! certificate key deletion, disabling and re-enabling, with the checks of the
//! vendor's "Deletions and revocations" page.
//!
//! Seed: campaign `demo-campaign` with keys `DEMOKEY0001`..`DEMOKEY0020`, campaign
//! `alumni-2024` with keys `ALUMNIKEY0001`..`ALUMNIKEY0005`, and for rehearsing bulk
//! runs campaign `bulk-campaign` with keys `BULKKEY00001`..`BULKKEY10000`, all enabled.

use std::collections::{BTreeMap, BTreeSet};

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::api::{Call, Emulation, Resp, TOKEN, empty, json};
use super::stats::Stats;

/// Seeded campaigns: (id, key prefix, number of keys, digits of the key number).
const SEED: [(&str, &str, usize, usize); 3] = [
    ("demo-campaign", "DEMOKEY", 20, 4),
    ("alumni-2024", "ALUMNIKEY", 5, 4),
    ("bulk-campaign", "BULKKEY", 10_000, 5),
];

/// Campaigns and their certificate keys.
pub(super) struct State {
    /// Campaign id → whether its history was deleted.
    campaigns: BTreeMap<String, bool>,
    /// Live key → (campaign, enabled). A deleted key is gone.
    keys: BTreeMap<String, (String, bool)>,
}

impl State {
    pub(super) fn seed() -> Self {
        let mut state = State {
            campaigns: BTreeMap::new(),
            keys: BTreeMap::new(),
        };
        for (campaign, prefix, count, digits) in SEED {
            state.campaigns.insert(campaign.to_owned(), false);
            for n in 1..=count {
                state
                    .keys
                    .insert(format!("{prefix}{n:0digits$}"), (campaign.to_owned(), true));
            }
        }
        state
    }
}

/// BCdiploma's error body: a JSON object with a message.
pub(super) fn error(status: StatusCode, message: &str) -> Resp {
    json(status, json!({ "message": message }))
}

fn bad(message: impl AsRef<str>) -> Resp {
    error(StatusCode::BAD_REQUEST, message.as_ref())
}

impl Emulation for State {
    fn error(&self, status: StatusCode, message: &str) -> Resp {
        error(status, message)
    }

    /// BCdiploma's 429 says when to come back.
    fn too_many(&self, retry_after_secs: u64) -> Resp {
        let mut response = self.error(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many requests, slow down.",
        );
        response.retry_after = Some(retry_after_secs);
        response
    }

    fn handle(&mut self, call: &Call<'_>, stats: &mut Stats) -> Resp {
        if call.header("authorization") != Some(&format!("Bearer {TOKEN}")) {
            return error(StatusCode::UNAUTHORIZED, "Invalid or missing API token.");
        }
        match (call.method.as_str(), call.segs.as_slice()) {
            ("DELETE", ["admin", "campaign"]) => delete_history(call, self, stats),
            ("DELETE", ["admin", "keys"]) => delete_keys(call, self, stats),
            ("PUT", ["admin", "keys"]) => set_enabled(call, self, stats),
            _ => error(StatusCode::NOT_FOUND, "No such endpoint."),
        }
    }
}

fn delete_history(call: &Call<'_>, state: &mut State, stats: &mut Stats) -> Resp {
    let Some(id) = call.query("campaignId").filter(|id| !id.is_empty()) else {
        return bad("The campaignId query parameter is mandatory.");
    };
    match state.campaigns.get_mut(&id) {
        Some(deleted @ false) => {
            *deleted = true;
            stats.change(format!("bcdiploma:campaign:{id}"));
            empty(StatusCode::NO_CONTENT)
        }
        _ => error(
            StatusCode::NOT_FOUND,
            &format!("Campaign {id} not found or its history is already deleted."),
        ),
    }
}

/// The keys of a JSON array of strings, or `None` if it is anything else.
fn string_array(value: &Value) -> Option<Vec<String>> {
    value
        .as_array()?
        .iter()
        .map(|v| v.as_str().map(str::to_owned))
        .collect()
}

/// The named keys that do not exist (any longer), as an error naming them.
fn check_known(state: &State, keys: &BTreeSet<String>) -> Result<(), Resp> {
    let unknown: Vec<&str> = keys
        .iter()
        .filter(|k| !state.keys.contains_key(*k))
        .map(String::as_str)
        .collect();
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(bad(format!(
            "Unknown or deleted certificate keys: {}.",
            unknown.join(", ")
        )))
    }
}

fn delete_keys(call: &Call<'_>, state: &mut State, stats: &mut Stats) -> Resp {
    if !call.is_json() {
        return bad("The Content-Type: application/json header is mandatory.");
    }
    let Some(keys) = call
        .json()
        .as_ref()
        .and_then(string_array)
        .filter(|k| !k.is_empty())
    else {
        return bad("The body must be a non-empty JSON array of certificate keys.");
    };
    let keys: BTreeSet<String> = keys.into_iter().collect();
    if let Err(response) = check_known(state, &keys) {
        return response;
    }
    for key in &keys {
        state.keys.remove(key);
        stats.change(format!("bcdiploma:{key}"));
    }
    json(
        StatusCode::OK,
        json!({ "message": format!("{} certificates deleted.", keys.len()) }),
    )
}

fn set_enabled(call: &Call<'_>, state: &mut State, stats: &mut Stats) -> Resp {
    if !call.is_json() {
        return bad("The Content-Type: application/json header is mandatory.");
    }
    let Some(body) = call.json().filter(Value::is_object) else {
        return bad("The body must be a JSON object with ids or campaignId, and enable.");
    };
    let Some(enable) = body.get("enable").and_then(Value::as_bool) else {
        return bad("The enable field is mandatory and must be true or false.");
    };
    let ids = match body.get("ids") {
        None | Some(Value::Null) => None,
        Some(ids) => match string_array(ids) {
            Some(ids) => Some(ids),
            None => return bad("The ids field must be an array of certificate keys."),
        },
    };
    let campaign = match body.get("campaignId") {
        None | Some(Value::Null) => None,
        Some(Value::String(id)) if !id.is_empty() => Some(id.clone()),
        Some(_) => return bad("The campaignId field must be a campaign identifier."),
    };
    if ids.as_ref().is_none_or(Vec::is_empty) && campaign.is_none() {
        return bad("One of ids or campaignId is mandatory.");
    }
    let mut targets: BTreeSet<String> = ids.unwrap_or_default().into_iter().collect();
    if let Err(response) = check_known(state, &targets) {
        return response;
    }
    if let Some(campaign) = &campaign {
        if !state.campaigns.contains_key(campaign) {
            return bad(format!("Unknown campaign: {campaign}."));
        }
        let in_campaign = state.keys.iter().filter(|(_, (c, _))| c == campaign);
        targets.extend(in_campaign.map(|(key, _)| key.clone()));
    }
    for key in &targets {
        if let Some((_, enabled)) = state.keys.get_mut(key)
            && *enabled != enable
        {
            *enabled = enable;
            stats.change(format!("bcdiploma:{key}"));
        }
    }
    let verb = if enable { "enabled" } else { "disabled" };
    json(
        StatusCode::OK,
        json!({ "message": format!("{} certificates {verb}.", targets.len()) }),
    )
}
