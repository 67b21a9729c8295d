//! Emulated Origin Connect API under `/origin`: CertificationsDelete in sync and async
//! mode, the ResultGet polling of async batches, and the certifications search by
//! `ORIGINID` (a deleted certification is no longer found), with Origin's status
//! envelope.
//!
//! Seed: ten certifications, originId `0e1c0000-0000-4000-8000-0000000000NN` and
//! externalId `EXT-0NN` for NN = 01..10. An async batch answers PENDING to its first
//! two polls; the third applies the deletion and its result is kept for later polls.

use std::collections::HashMap;

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::api::{Call, Emulation, Resp, TOKEN, json};
use super::stats::Stats;

const CE_VALIDATION: &str =
    "CE00001 - Connect request failed validation. Refer to provided messages for details.";
const CE_AUTH: &str = "CE00002 - Not authorized. Check the API token.";
const CE_UNEXPECTED: &str = "CE00000 - Unexpected error.";
/// Polls answered PENDING before a batch completes.
const PENDING_POLLS: u32 = 2;

struct Certification {
    origin_id: String,
    external_id: String,
    deleted: bool,
}

/// An async delete waiting to be polled to completion.
struct Batch {
    request: Value,
    polls: u32,
    /// The final answer, once computed; later polls repeat it.
    outcome: Option<Value>,
}

/// Certifications and async batches.
pub(super) struct State {
    certifications: Vec<Certification>,
    batches: HashMap<String, Batch>,
    next_batch: u64,
}

impl State {
    pub(super) fn seed() -> Self {
        let certifications = (1..=10)
            .map(|n| Certification {
                origin_id: format!("0e1c0000-0000-4000-8000-{n:012}"),
                external_id: format!("EXT-{n:03}"),
                deleted: false,
            })
            .collect();
        State {
            certifications,
            batches: HashMap::new(),
            next_batch: 1,
        }
    }
}

fn rejection(status: StatusCode, code: &str, messages: &[String], request: &Value) -> Resp {
    let body = json!({
        "status": { "state": "ERROR", "code": code, "messages": messages },
        "connectRequest": request,
    });
    json(status, body)
}

/// Origin's error envelope (`status.state == "ERROR"`), for auth failures and faults.
pub(super) fn error(status: StatusCode, message: &str) -> Resp {
    let code = match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => CE_AUTH,
        StatusCode::BAD_REQUEST | StatusCode::NOT_FOUND => CE_VALIDATION,
        _ => CE_UNEXPECTED,
    };
    rejection(status, code, &[message.to_owned()], &Value::Null)
}

impl Emulation for State {
    fn error(&self, status: StatusCode, message: &str) -> Resp {
        error(status, message)
    }

    fn handle(&mut self, call: &Call<'_>, stats: &mut Stats) -> Resp {
        if call.header("authorization") != Some(&format!("Bearer {TOKEN}")) {
            return error(
                StatusCode::UNAUTHORIZED,
                "The bearer token is missing or invalid.",
            );
        }
        match (call.method.as_str(), call.segs.as_slice()) {
            ("POST", ["connect", "v1", "certifications", "delete"]) => delete(call, self, stats),
            ("POST", ["connect", "v1", "async", "certifications", "delete"]) => submit(call, self),
            ("POST", ["connect", "v1", "certifications", "search"]) => search(call, self),
            (
                "GET",
                [
                    "connect",
                    "v1",
                    "result",
                    "certifications_delete",
                    "batch",
                    id,
                ],
            ) => poll(id, self, stats),
            _ => error(StatusCode::NOT_FOUND, "No such Connect endpoint."),
        }
    }
}

/// A target of a delete: (1-based position, field, value).
type Target = (usize, &'static str, String);

/// The request's targets, or every validation message.
fn validate(request: &Value) -> Result<Vec<Target>, Vec<String>> {
    let Some(items) = request.get("certifications").and_then(Value::as_array) else {
        return Err(vec![
            "certifications require at least one certification.".to_owned(),
        ]);
    };
    if items.is_empty() {
        return Err(vec![
            "certifications require at least one certification.".to_owned(),
        ]);
    }
    let mut targets = Vec::new();
    let mut messages = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let position = index + 1;
        let field = |name| {
            item.get(name)
                .and_then(Value::as_str)
                .filter(|v| !v.is_empty())
        };
        match (field("originId"), field("externalId")) {
            (Some(id), None) => targets.push((position, "originId", id.to_owned())),
            (None, Some(id)) => targets.push((position, "externalId", id.to_owned())),
            _ => messages.push(format!(
                "certifications[{position}] require one originId or externalId."
            )),
        }
    }
    if messages.is_empty() {
        Ok(targets)
    } else {
        Err(messages)
    }
}

/// Delete every target, or nothing when one is unknown (messages name them).
fn apply(targets: &[Target], state: &mut State, stats: &mut Stats) -> Result<(), Vec<String>> {
    let mut found = Vec::new();
    let mut messages = Vec::new();
    for (position, field, id) in targets {
        let hit = state.certifications.iter().position(|c| {
            !c.deleted
                && if *field == "originId" {
                    &c.origin_id == id
                } else {
                    &c.external_id == id
                }
        });
        match hit {
            Some(index) => found.push(index),
            None => messages.push(format!(
                "certifications[{position}] {field} '{id}' does not exist."
            )),
        }
    }
    if !messages.is_empty() {
        return Err(messages);
    }
    found.sort_unstable();
    found.dedup();
    for index in found {
        let certification = &mut state.certifications[index];
        certification.deleted = true;
        stats.change(format!("origin:{}", certification.origin_id));
    }
    Ok(())
}

/// The request body as JSON, or Origin's validation rejection.
fn parse(call: &Call<'_>) -> Result<Value, Resp> {
    call.json().ok_or_else(|| {
        let messages = ["The request body must be a JSON object.".to_owned()];
        rejection(
            StatusCode::BAD_REQUEST,
            CE_VALIDATION,
            &messages,
            &Value::Null,
        )
    })
}

fn deleted(request: &Value) -> Value {
    json!({
        "status": { "state": "SUCCESS" },
        "result": { "entityType": "CERTIFICATION", "result": "Delete completed." },
        "connectRequest": request,
    })
}

fn delete(call: &Call<'_>, state: &mut State, stats: &mut Stats) -> Resp {
    let request = match parse(call) {
        Ok(request) => request,
        Err(response) => return response,
    };
    match validate(&request).and_then(|targets| apply(&targets, state, stats)) {
        Ok(()) => json(StatusCode::OK, deleted(&request)),
        Err(messages) => rejection(StatusCode::BAD_REQUEST, CE_VALIDATION, &messages, &request),
    }
}

fn submit(call: &Call<'_>, state: &mut State) -> Resp {
    let request = match parse(call) {
        Ok(request) => request,
        Err(response) => return response,
    };
    if let Err(messages) = validate(&request) {
        return rejection(StatusCode::BAD_REQUEST, CE_VALIDATION, &messages, &request);
    }
    let id = format!("b47c0000-0000-4000-8000-{:012}", state.next_batch);
    state.next_batch += 1;
    let callback = format!(
        "{}/origin/connect/v1/result/certifications_delete/batch/{id}",
        call.origin
    );
    let body = json!({
        "status": { "state": "SUCCESS" },
        "result": { "poolingCallback": callback },
        "connectRequest": request,
    });
    state.batches.insert(
        id,
        Batch {
            request,
            polls: 0,
            outcome: None,
        },
    );
    json(StatusCode::OK, body)
}

/// The certifications search: `searchCriteria` entries `ORIGINID` (or
/// `EXTERNALID`) select certifications that are not deleted; the page is
/// `pageNumber` (from 1) of `pageSize` (at most 100).
fn search(call: &Call<'_>, state: &State) -> Resp {
    let request = match parse(call) {
        Ok(request) => request,
        Err(response) => return response,
    };
    let Some(criteria) = request.get("searchCriteria").and_then(Value::as_array) else {
        let messages = ["searchCriteria is required.".to_owned()];
        return rejection(StatusCode::BAD_REQUEST, CE_VALIDATION, &messages, &request);
    };
    let mut wanted: Vec<(String, String)> = Vec::new();
    for c in criteria {
        let name = c.get("name").and_then(Value::as_str).unwrap_or_default();
        let value = c.get("value").and_then(Value::as_str).unwrap_or_default();
        match name.to_ascii_uppercase().as_str() {
            field @ ("ORIGINID" | "EXTERNALID") if !value.is_empty() => {
                wanted.push((field.to_owned(), value.to_owned()));
            }
            _ => {
                let messages = [format!(
                    "searchCriteria name '{name}' with value '{value}' is not supported."
                )];
                return rejection(StatusCode::BAD_REQUEST, CE_VALIDATION, &messages, &request);
            }
        }
    }
    let page = request
        .get("pageNumber")
        .and_then(Value::as_u64)
        .unwrap_or(1)
        .max(1) as usize;
    let size = request
        .get("pageSize")
        .and_then(Value::as_u64)
        .unwrap_or(100)
        .clamp(1, 100) as usize;
    let hits: Vec<&Certification> = state
        .certifications
        .iter()
        .filter(|c| !c.deleted)
        .filter(|c| {
            wanted.iter().all(|(field, value)| match field.as_str() {
                "ORIGINID" => c.origin_id.eq_ignore_ascii_case(value),
                _ => &c.external_id == value,
            })
        })
        .collect();
    let listed: Vec<Value> = hits
        .iter()
        .skip((page - 1) * size)
        .take(size)
        .map(|c| json!({ "originId": c.origin_id, "externalId": c.external_id }))
        .collect();
    let body = json!({
        "status": { "state": "SUCCESS" },
        "result": {
            "pageNumber": page,
            "pageSize": size,
            "totalCount": hits.len(),
            "certifications": listed,
        },
    });
    json(StatusCode::OK, body)
}

fn poll(id: &str, state: &mut State, stats: &mut Stats) -> Resp {
    let Some(batch) = state.batches.get_mut(id) else {
        return error(
            StatusCode::NOT_FOUND,
            &format!("Batch '{id}' does not exist."),
        );
    };
    if batch.polls < PENDING_POLLS {
        batch.polls += 1;
        let body = json!({
            "status": { "state": "SUCCESS" },
            "result": { "executionStatus": "PENDING", "batchId": id },
        });
        return json(StatusCode::OK, body);
    }
    if let Some(outcome) = &batch.outcome {
        return json(StatusCode::OK, outcome.clone());
    }
    let request = batch.request.clone();
    let outcome = match validate(&request).and_then(|targets| apply(&targets, state, stats)) {
        Ok(()) => json!({
            "status": { "state": "SUCCESS" },
            "result": {
                "executionStatus": "DONE",
                "batchId": id,
                "entityType": "CERTIFICATION",
                "result": "Delete completed.",
            },
            "connectRequest": request,
        }),
        Err(messages) => json!({
            "status": { "state": "ERROR", "code": CE_VALIDATION, "messages": messages },
            "result": { "executionStatus": "DONE", "batchId": id },
            "connectRequest": request,
        }),
    };
    let response = json(StatusCode::OK, outcome.clone());
    if let Some(batch) = state.batches.get_mut(id) {
        batch.outcome = Some(outcome);
    }
    response
}
