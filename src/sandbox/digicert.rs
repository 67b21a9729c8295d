//! Emulated DigiCert CertCentral API under `/digicert/services/v2`: order and
//! certificate revoke requests, their approval or rejection, and `user/me`, with
//! DigiCert's `{"errors":[{code,message}]}` shape and the compound codes the live
//! API answers (`access_denied|access_denied_invalid_key`, `not_found|order`, ...);
//! an unknown route gets the one-object form, `{"errors":{code,message}}`, as live.
//!
//! Seed: orders 1001..1010, each with certificate 2000 + (order - 1000), all issued;
//! for rehearsing bulk runs, orders 10001..12000, each with certificate order + 10000;
//! revoke request 1 on order 1010, pending. New requests are numbered from 2. A
//! revoke request stays `pending` until approved, which revokes its order (and the
//! order's certificate) or certificate; `skip_approval` revokes at once (204).
//! Certificate N has the serial number `0a1b2c3d` followed by N in 8 hex digits
//! (2001: `0a1b2c3d000007d1`), and a certificate revoke takes either in its path.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::api::{Call, Emulation, Resp, TOKEN, empty, json};
use super::stats::Stats;

const REASONS: [&str; 5] = [
    "unspecified",
    "keyCompromise",
    "affiliationChanged",
    "superseded",
    "cessationOfOperation",
];

/// What a revoke request revokes.
#[derive(Debug, Clone, Copy)]
enum Target {
    Order(u64),
    Certificate(u64),
}

impl Target {
    fn stats_key(self) -> String {
        match self {
            Target::Order(id) => format!("digicert:order:{id}"),
            Target::Certificate(id) => format!("digicert:certificate:{id}"),
        }
    }
}

struct RevokeRequest {
    date: String,
    target: Target,
    status: &'static str,
    comments: String,
    reason: Option<String>,
    processor_comment: Option<String>,
}

/// Orders, certificates and revoke requests.
pub(super) struct State {
    /// Order id → (certificate id, revoked).
    orders: BTreeMap<u64, (u64, bool)>,
    /// Certificate id → revoked.
    certificates: BTreeMap<u64, bool>,
    requests: BTreeMap<u64, RevokeRequest>,
    next_request: u64,
}

/// Orders seeded for bulk rehearsals: enough to outlast DigiCert's 1,000-requests
/// window with `--limits`.
const BULK_ORDERS: std::ops::RangeInclusive<u64> = 10_001..=12_000;

impl State {
    pub(super) fn seed() -> Self {
        let orders = (1001..=1010)
            .map(|id| (id, (id + 1000, false)))
            .chain(BULK_ORDERS.map(|id| (id, (id + 10_000, false))))
            .collect();
        let certificates = (2001..=2010)
            .chain(BULK_ORDERS.map(|id| id + 10_000))
            .map(|id| (id, false))
            .collect();
        let seeded = RevokeRequest {
            date: now(),
            target: Target::Order(1010),
            status: "pending",
            comments: "Seeded revoke request awaiting approval.".to_owned(),
            reason: None,
            processor_comment: None,
        };
        State {
            orders,
            certificates,
            requests: BTreeMap::from([(1, seeded)]),
            next_request: 2,
        }
    }

    /// Mark the target revoked; an order takes its certificate with it.
    fn revoke(&mut self, target: Target) {
        match target {
            Target::Order(id) => {
                if let Some((certificate, revoked)) = self.orders.get_mut(&id) {
                    *revoked = true;
                    self.certificates.insert(*certificate, true);
                }
            }
            Target::Certificate(id) => {
                self.certificates.insert(id, true);
            }
        }
    }
}

/// What the seeded serial numbers start with; the certificate ID follows in hex.
const SERIAL_PREFIX: &str = "0a1b2c3d";

/// The serial number of seeded certificate `id`.
fn serial_of(id: u64) -> String {
    format!("{SERIAL_PREFIX}{id:08x}")
}

/// The certificate a serial number (any case) names, if it has the seeded form.
fn id_of_serial(serial: &str) -> Option<u64> {
    let serial = serial.to_ascii_lowercase();
    let hex = serial.strip_prefix(SERIAL_PREFIX)?;
    (hex.len() == 8)
        .then(|| u64::from_str_radix(hex, 16).ok())
        .flatten()
        .filter(|id| serial_of(*id) == serial)
}

fn now() -> String {
    let stamp = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    stamp.replace('Z', "+00:00")
}

fn errors(status: StatusCode, code: &str, message: &str) -> Resp {
    json(
        status,
        json!({ "errors": [{ "code": code, "message": message }] }),
    )
}

/// The code the live API refuses an API key with (403).
const INVALID_KEY: &str = "access_denied|access_denied_invalid_key";

/// DigiCert's error body, its code chosen from the status (auth failures and faults).
pub(super) fn error(status: StatusCode, message: &str) -> Resp {
    let code = match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => INVALID_KEY,
        StatusCode::TOO_MANY_REQUESTS => "request_limit_exceeded",
        StatusCode::SERVICE_UNAVAILABLE => "service_unavailable",
        StatusCode::NOT_FOUND => "not_found|route",
        StatusCode::BAD_REQUEST => "invalid_request|body",
        _ => "internal_server_error",
    };
    errors(status, code, message)
}

fn bad(code: &str, message: &str) -> Resp {
    errors(StatusCode::BAD_REQUEST, code, message)
}

fn user() -> Value {
    json!({
        "id": 242140,
        "username": "sandbox.admin",
        "first_name": "Sandbox",
        "last_name": "Admin",
        "email": "sandbox.admin@example.com",
        "status": "active",
        "container": { "id": 1, "name": "Sandbox Organization" },
        "access_roles": [{ "id": 1, "name": "Administrator" }],
    })
}

impl Emulation for State {
    fn error(&self, status: StatusCode, message: &str) -> Resp {
        error(status, message)
    }

    fn handle(&mut self, call: &Call<'_>, stats: &mut Stats) -> Resp {
        if call.header("x-dc-devkey") != Some(TOKEN) {
            return errors(
                StatusCode::FORBIDDEN,
                INVALID_KEY,
                "The API key is missing or invalid.",
            );
        }
        match (call.method.as_str(), call.segs.as_slice()) {
            ("PUT", ["order", "certificate", id, "revoke"]) => revoke_order(id, call, self, stats),
            ("PUT", ["certificate", id, "revoke"]) => revoke_certificate(id, call, self, stats),
            ("GET", ["request", id]) => show_request(id, self),
            ("PUT", ["request", id, "status"]) => set_status(id, call, self, stats),
            ("GET", ["user", "me"]) => json(StatusCode::OK, user()),
            _ => json(
                StatusCode::NOT_FOUND,
                json!({ "errors": { "code": "not_found|route", "message": "The requested route was not found." } }),
            ),
        }
    }
}

/// A positive integer id from the path, or DigiCert's 400.
fn parse_id(raw: &str, what: &str) -> Result<u64, Resp> {
    raw.parse::<u64>().ok().filter(|&id| id > 0).ok_or_else(|| {
        bad(
            &format!("invalid_param|{what}"),
            &format!("{what} must be a positive integer, not '{raw}'."),
        )
    })
}

/// The JSON object body and its required `comments`.
fn body_with_comments(call: &Call<'_>) -> Result<(Value, String), Resp> {
    let Some(body) = call.json().filter(Value::is_object) else {
        return Err(bad(
            "invalid_request|body",
            "The request body must be a JSON object.",
        ));
    };
    let comments = body
        .get("comments")
        .and_then(Value::as_str)
        .filter(|c| !c.trim().is_empty())
        .map(str::to_owned)
        .ok_or_else(|| bad("missing_param|comments", "comments is required."))?;
    Ok((body, comments))
}

/// `revocation_reason` and `skip_approval` of a revoke body, checked as the API does.
fn revoke_options(body: &Value) -> Result<(Option<String>, bool), Resp> {
    let reason = match body.get("revocation_reason") {
        None | Some(Value::Null) => None,
        Some(Value::String(r)) if REASONS.contains(&r.as_str()) => Some(r.clone()),
        Some(_) => {
            let message = format!("revocation_reason must be one of {}.", REASONS.join(", "));
            return Err(bad("invalid_param|revocation_reason", &message));
        }
    };
    let skip = match body.get("skip_approval") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(skip)) => *skip,
        Some(_) => {
            return Err(bad(
                "invalid_param|skip_approval",
                "skip_approval must be true or false.",
            ));
        }
    };
    Ok((reason, skip))
}

/// Revoke at once (approval skipped): the change is counted and the answer is 204.
fn revoke_now(state: &mut State, stats: &mut Stats, target: Target) -> Resp {
    state.revoke(target);
    stats.change(target.stats_key());
    empty(StatusCode::NO_CONTENT)
}

/// Record a new pending revoke request and answer 201 with it.
fn create_request(
    state: &mut State,
    stats: &mut Stats,
    target: Target,
    comments: String,
    reason: Option<String>,
) -> Resp {
    let id = state.next_request;
    state.next_request += 1;
    let request = RevokeRequest {
        date: now(),
        target,
        status: "pending",
        comments,
        reason,
        processor_comment: None,
    };
    let body = request_json(id, &request);
    state.requests.insert(id, request);
    stats.change(target.stats_key());
    json(StatusCode::CREATED, body)
}

fn revoke_order(raw: &str, call: &Call<'_>, state: &mut State, stats: &mut Stats) -> Resp {
    let id = match parse_id(raw, "order_id") {
        Ok(id) => id,
        Err(response) => return response,
    };
    let (body, comments) = match body_with_comments(call) {
        Ok(parsed) => parsed,
        Err(response) => return response,
    };
    let (reason, skip) = match revoke_options(&body) {
        Ok(options) => options,
        Err(response) => return response,
    };
    match state.orders.get(&id) {
        None => errors(
            StatusCode::NOT_FOUND,
            "not_found|order",
            &format!("Order {id} not found."),
        ),
        Some((_, true)) => bad(
            "invalid_status|order",
            &format!("Order {id} is already revoked."),
        ),
        Some(_) if skip => revoke_now(state, stats, Target::Order(id)),
        Some(_) => create_request(state, stats, Target::Order(id), comments, reason),
    }
}

/// The certificate a revoke path names: an ID, or else a serial number (the API
/// takes "the certificate ID or serial number" in the same place).
fn certificate_of(raw: &str, state: &State) -> Result<u64, Resp> {
    let certificates = &state.certificates;
    if let Ok(id) = raw.parse::<u64>()
        && certificates.contains_key(&id)
    {
        return Ok(id);
    }
    if let Some(id) = id_of_serial(raw).filter(|id| certificates.contains_key(id)) {
        return Ok(id);
    }
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad(
            "invalid_param|certificate_id",
            &format!("'{raw}' is neither a certificate ID nor a serial number."),
        ));
    }
    Err(errors(
        StatusCode::NOT_FOUND,
        "not_found|certificate",
        &format!("Certificate {raw} not found."),
    ))
}

fn revoke_certificate(raw: &str, call: &Call<'_>, state: &mut State, stats: &mut Stats) -> Resp {
    let id = match certificate_of(raw, state) {
        Ok(id) => id,
        Err(response) => return response,
    };
    let (body, comments) = match body_with_comments(call) {
        Ok(parsed) => parsed,
        Err(response) => return response,
    };
    let (reason, skip) = match revoke_options(&body) {
        Ok(options) => options,
        Err(response) => return response,
    };
    match state.certificates.get(&id) {
        Some(true) => bad(
            "invalid_status|certificate",
            &format!("Certificate {id} is already revoked."),
        ),
        _ if skip => revoke_now(state, stats, Target::Certificate(id)),
        _ => create_request(state, stats, Target::Certificate(id), comments, reason),
    }
}

fn request_json(id: u64, request: &RevokeRequest) -> Value {
    let mut body = json!({
        "id": id,
        "date": request.date,
        "type": "revoke",
        "status": request.status,
        "requester": user(),
        "comments": request.comments,
    });
    let (field, target) = match request.target {
        Target::Order(id) => ("order", id),
        Target::Certificate(id) => ("certificate", id),
    };
    body[field] = json!({ "id": target });
    if let Some(reason) = &request.reason {
        body["revocation_reason"] = json!(reason);
    }
    if let Some(comment) = &request.processor_comment {
        body["processor_comment"] = json!(comment);
    }
    body
}

fn show_request(raw: &str, state: &State) -> Resp {
    let id = match parse_id(raw, "request_id") {
        Ok(id) => id,
        Err(response) => return response,
    };
    match state.requests.get(&id) {
        Some(request) => json(StatusCode::OK, request_json(id, request)),
        None => errors(
            StatusCode::NOT_FOUND,
            "not_found|request",
            &format!("Request {id} not found."),
        ),
    }
}

fn set_status(raw: &str, call: &Call<'_>, state: &mut State, stats: &mut Stats) -> Resp {
    let id = match parse_id(raw, "request_id") {
        Ok(id) => id,
        Err(response) => return response,
    };
    let Some(body) = call.json().filter(Value::is_object) else {
        return bad(
            "invalid_request|body",
            "The request body must be a JSON object.",
        );
    };
    let status = match body.get("status").and_then(Value::as_str) {
        Some("approved") => "approved",
        Some("rejected") => "rejected",
        _ => {
            return bad(
                "invalid_param|status",
                "status must be approved or rejected.",
            );
        }
    };
    let comment = match body.get("processor_comment") {
        None | Some(Value::Null) => None,
        Some(Value::String(c)) => Some(c.clone()),
        Some(_) => {
            return bad(
                "invalid_param|processor_comment",
                "processor_comment must be a string.",
            );
        }
    };
    let Some(request) = state.requests.get_mut(&id) else {
        return errors(
            StatusCode::NOT_FOUND,
            "not_found|request",
            &format!("Request {id} not found."),
        );
    };
    if request.status != "pending" {
        let message = format!("Request {id} is {}, not pending.", request.status);
        return bad("request_not_pending", &message);
    }
    request.status = status;
    request.processor_comment = comment;
    let target = request.target;
    if status == "approved" {
        state.revoke(target);
    }
    stats.change(target.stats_key());
    empty(StatusCode::NO_CONTENT)
}
