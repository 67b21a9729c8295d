//! Emulated DigiCert CertCentral API under `/digicert/services/v2`: order and
//! certificate revoke requests, their approval or rejection, and `user/me`, with
//! DigiCert's `{"errors":[{code,message}]}` shape.
//!
//! Seed: orders 1001..1010, each with certificate 2000 + (order - 1000), all issued;
//! for rehearsing bulk runs, orders 10001..12000, each with certificate order + 10000;
//! revoke request 1 on order 1010, pending. New requests are numbered from 2. A
//! revoke request stays `pending` until approved, which revokes its order (and the
//! order's certificate) or certificate.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::state::World;
use super::{Call, Resp, TOKEN, empty, json};

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

/// DigiCert's error body, its code chosen from the status (auth failures and faults).
pub(super) fn error(status: StatusCode, message: &str) -> Resp {
    let code = match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => "access_denied_invalid_key",
        StatusCode::TOO_MANY_REQUESTS => "request_limit_exceeded",
        StatusCode::SERVICE_UNAVAILABLE => "service_unavailable",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::BAD_REQUEST => "invalid_request",
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

pub(super) fn handle(call: &Call<'_>, world: &mut World) -> Resp {
    if call.header("x-dc-devkey") != Some(TOKEN) {
        return errors(
            StatusCode::FORBIDDEN,
            "access_denied_invalid_key",
            "The API key is missing or invalid.",
        );
    }
    match (call.method.as_str(), call.segs.as_slice()) {
        ("PUT", ["order", "certificate", id, "revoke"]) => revoke_order(id, call, world),
        ("PUT", ["certificate", id, "revoke"]) => revoke_certificate(id, call, world),
        ("GET", ["request", id]) => show_request(id, world),
        ("PUT", ["request", id, "status"]) => set_status(id, call, world),
        ("GET", ["user", "me"]) => json(StatusCode::OK, user()),
        _ => errors(StatusCode::NOT_FOUND, "not_found", "No such endpoint."),
    }
}

/// A positive integer id from the path, or DigiCert's 400.
fn parse_id(raw: &str, what: &str) -> Result<u64, Resp> {
    raw.parse::<u64>().ok().filter(|&id| id > 0).ok_or_else(|| {
        bad(
            "invalid_param",
            &format!("{what} must be a positive integer, not '{raw}'."),
        )
    })
}

/// The JSON object body and its required `comments`.
fn body_with_comments(call: &Call<'_>) -> Result<(Value, String), Resp> {
    let Some(body) = call.json().filter(Value::is_object) else {
        return Err(bad(
            "invalid_json",
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

/// Record a new pending revoke request and answer 201 with it.
fn create_request(
    world: &mut World,
    target: Target,
    comments: String,
    reason: Option<String>,
) -> Resp {
    let state = &mut world.digicert;
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
    world.stats.change(target.stats_key());
    json(StatusCode::CREATED, body)
}

fn revoke_order(raw: &str, call: &Call<'_>, world: &mut World) -> Resp {
    let id = match parse_id(raw, "order_id") {
        Ok(id) => id,
        Err(response) => return response,
    };
    let (_, comments) = match body_with_comments(call) {
        Ok(parsed) => parsed,
        Err(response) => return response,
    };
    match world.digicert.orders.get(&id) {
        None => errors(
            StatusCode::NOT_FOUND,
            "not_found|order",
            &format!("Order {id} not found."),
        ),
        Some((_, true)) => bad("invalid_status", &format!("Order {id} is already revoked.")),
        Some(_) => create_request(world, Target::Order(id), comments, None),
    }
}

fn revoke_certificate(raw: &str, call: &Call<'_>, world: &mut World) -> Resp {
    let id = match parse_id(raw, "certificate_id") {
        Ok(id) => id,
        Err(response) => return response,
    };
    let (body, comments) = match body_with_comments(call) {
        Ok(parsed) => parsed,
        Err(response) => return response,
    };
    let reason = match body.get("revocation_reason") {
        None | Some(Value::Null) => None,
        Some(Value::String(r)) if REASONS.contains(&r.as_str()) => Some(r.clone()),
        Some(_) => {
            let message = format!("revocation_reason must be one of {}.", REASONS.join(", "));
            return bad("invalid_revocation_reason", &message);
        }
    };
    let skip = match body.get("skip_approval") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(skip)) => *skip,
        Some(_) => return bad("invalid_param", "skip_approval must be true or false."),
    };
    match world.digicert.certificates.get(&id) {
        None => errors(
            StatusCode::NOT_FOUND,
            "not_found|certificate",
            &format!("Certificate {id} not found."),
        ),
        Some(true) => bad(
            "invalid_status",
            &format!("Certificate {id} is already revoked."),
        ),
        Some(false) if skip => {
            world.digicert.revoke(Target::Certificate(id));
            world.stats.change(Target::Certificate(id).stats_key());
            empty(StatusCode::NO_CONTENT)
        }
        Some(false) => create_request(world, Target::Certificate(id), comments, reason),
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

fn show_request(raw: &str, world: &mut World) -> Resp {
    let id = match parse_id(raw, "request_id") {
        Ok(id) => id,
        Err(response) => return response,
    };
    match world.digicert.requests.get(&id) {
        Some(request) => json(StatusCode::OK, request_json(id, request)),
        None => errors(
            StatusCode::NOT_FOUND,
            "not_found|request",
            &format!("Request {id} not found."),
        ),
    }
}

fn set_status(raw: &str, call: &Call<'_>, world: &mut World) -> Resp {
    let id = match parse_id(raw, "request_id") {
        Ok(id) => id,
        Err(response) => return response,
    };
    let Some(body) = call.json().filter(Value::is_object) else {
        return bad("invalid_json", "The request body must be a JSON object.");
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
        Some(_) => return bad("invalid_param", "processor_comment must be a string."),
    };
    let state = &mut world.digicert;
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
    world.stats.change(target.stats_key());
    empty(StatusCode::NO_CONTENT)
}
