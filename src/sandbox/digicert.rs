//! Emulated DigiCert CertCentral API under `/digicert/services/v2`: the seeded
//! account's orders (listed with the live API's filters and paging, shown one by
//! one with their `requests[]`), the request list and details, order and
//! certificate revoke requests with their approval or rejection, and `user/me`,
//! with DigiCert's `{"errors":[{code,message}]}` shape and the compound codes the
//! live API answers (`access_denied|access_denied_invalid_key`, `not_found|order`,
//! ...); an unknown route gets the one-object form, `{"errors":{code,message}}`, as
//! live.
//!
//! What the seeded orders and requests are is told in `digicert/seed.rs`. Only an
//! issued order or certificate can be revoked. A revoke adds a `pending` revoke
//! request to its order's `requests[]` and to the request list (numbered after the
//! seeded ones); approving it revokes the order with its certificate (or the one
//! certificate), rejecting it leaves them; `skip_approval` revokes at once (204) and
//! files no request. A certificate revoke takes the certificate ID or its serial
//! number in its path.

mod list;
mod seed;
mod views;

use std::borrow::Cow;
use std::collections::BTreeMap;

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::api::{Call, Emulation, Resp, TOKEN, deferred, empty, json};
use super::stats::Stats;
use list::{OrderFilter, RequestFilter};
pub use seed::{DEFAULT_ORDERS, MAX_ORDERS};
use seed::{FIRST_ORDER, Kind, RequestStatus, Status};
use views::{OrderState, PageInfo, Request, Target};

const REASONS: [&str; 5] = [
    "unspecified",
    "keyCompromise",
    "affiliationChanged",
    "superseded",
    "cessationOfOperation",
];

/// An order's changing state; everything else about it follows from its ID.
struct Order {
    status: Status,
    certificate: Status,
    /// Its requests' IDs, oldest first.
    requests: Vec<u64>,
}

/// The account: orders from [`FIRST_ORDER`] on, and every request.
pub(super) struct State {
    orders: Vec<Order>,
    requests: BTreeMap<u64, Request>,
    next_request: u64,
}

/// The comment of a seeded request.
fn seeded_comment(kind: Kind) -> &'static str {
    match kind {
        Kind::Revoke => "Seeded revoke request.",
        Kind::NewRequest => "Seeded order request.",
        Kind::Duplicate => "Seeded duplicate certificate request.",
        Kind::Reissue => "Seeded reissue request.",
    }
}

impl State {
    /// The seeded account with `count` orders.
    pub(super) fn seed(count: u64) -> Self {
        let mut requests = BTreeMap::new();
        let mut next_request = 1;
        let orders = (FIRST_ORDER..FIRST_ORDER + count)
            .map(|id| {
                let status = seed::status(id);
                let mut held = Vec::new();
                if let Some((kind, request_status)) = seed::request(id) {
                    let date = seed::Profile::of(id).created() + 3_600;
                    let decided = !request_status.awaits_decision();
                    requests.insert(
                        next_request,
                        Request {
                            date,
                            kind,
                            status: request_status,
                            target: Target::Order(id),
                            comments: Cow::Borrowed(seeded_comment(kind)),
                            reason: None,
                            processor_comment: None,
                            processed: decided.then_some(date + 86_400),
                        },
                    );
                    held.push(next_request);
                    next_request += 1;
                }
                Order {
                    status,
                    certificate: status.certificate(),
                    requests: held,
                }
            })
            .collect();
        State {
            orders,
            requests,
            next_request,
        }
    }

    fn order(&self, id: u64) -> Option<&Order> {
        let index = usize::try_from(id.checked_sub(FIRST_ORDER)?).ok()?;
        self.orders.get(index)
    }

    fn order_mut(&mut self, id: u64) -> Option<&mut Order> {
        let index = usize::try_from(id.checked_sub(FIRST_ORDER)?).ok()?;
        self.orders.get_mut(index)
    }

    /// The order a held certificate belongs to.
    fn order_of_certificate(&self, certificate: u64) -> Option<u64> {
        seed::order_of(certificate).filter(|id| self.order(*id).is_some())
    }

    /// Mark the target revoked; an order takes its certificate with it.
    fn revoke(&mut self, target: Target) {
        match target {
            Target::Order(id) => {
                if let Some(order) = self.order_mut(id) {
                    order.status = Status::Revoked;
                    order.certificate = Status::Revoked;
                }
            }
            Target::Certificate(id) => {
                if let Some(order) = seed::order_of(id).and_then(|o| self.order_mut(o)) {
                    order.certificate = Status::Revoked;
                }
            }
        }
    }

    fn snapshot(&self, id: u64) -> Option<OrderState> {
        self.order(id).map(|o| OrderState {
            id,
            status: o.status,
            certificate: o.certificate,
        })
    }
}

/// Seconds since 1970, now.
fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
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

/// `user/me`: the administrator the requests are filed as.
fn user() -> Value {
    let admin = &seed::ADMIN;
    json!({
        "id": admin.id,
        "username": "sandbox.admin",
        "first_name": admin.first_name,
        "last_name": admin.last_name,
        "email": admin.email,
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
            ("GET", ["order", "certificate"]) => list_orders(call, self),
            ("GET", ["order", "certificate", id]) => show_order(id, self),
            ("GET", ["request"]) => list_requests(call, self),
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

/// Record a new pending revoke request on `order` and answer 201 with it.
fn create_request(
    state: &mut State,
    stats: &mut Stats,
    (order, target): (u64, Target),
    comments: String,
    reason: Option<String>,
) -> Resp {
    let id = state.next_request;
    state.next_request += 1;
    let request = Request {
        date: now_secs(),
        kind: Kind::Revoke,
        status: RequestStatus::Pending,
        target,
        comments: Cow::Owned(comments),
        reason,
        processor_comment: None,
        processed: None,
    };
    let body = views::request(id, &request);
    state.requests.insert(id, request);
    if let Some(held) = state.order_mut(order) {
        held.requests.push(id);
    }
    stats.change(target.stats_key());
    json(StatusCode::CREATED, body)
}

/// The body and options of a revoke, or DigiCert's 400.
fn revoke_body(call: &Call<'_>) -> Result<(String, Option<String>, bool), Resp> {
    let (body, comments) = body_with_comments(call)?;
    let (reason, skip) = revoke_options(&body)?;
    Ok((comments, reason, skip))
}

fn revoke_order(raw: &str, call: &Call<'_>, state: &mut State, stats: &mut Stats) -> Resp {
    let id = match parse_id(raw, "order_id") {
        Ok(id) => id,
        Err(response) => return response,
    };
    let (comments, reason, skip) = match revoke_body(call) {
        Ok(parsed) => parsed,
        Err(response) => return response,
    };
    let Some(order) = state.order(id) else {
        return errors(
            StatusCode::NOT_FOUND,
            "not_found|order",
            &format!("Order {id} not found."),
        );
    };
    match order.status {
        Status::Revoked => bad(
            "invalid_status|order",
            &format!("Order {id} is already revoked."),
        ),
        _ if order.certificate != Status::Issued => bad(
            "invalid_status|order",
            &format!(
                "Order {id} is {}: only an issued order can be revoked.",
                order.status.as_str()
            ),
        ),
        _ if skip => revoke_now(state, stats, Target::Order(id)),
        _ => create_request(state, stats, (id, Target::Order(id)), comments, reason),
    }
}

/// The certificate a revoke path names and its order: an ID, or else a serial
/// number (the API takes "the certificate ID or serial number" in the same place).
fn certificate_of(raw: &str, state: &State) -> Result<(u64, u64), Resp> {
    let held = |id: u64| state.order_of_certificate(id).map(|order| (id, order));
    if let Some(found) = raw.parse::<u64>().ok().and_then(held) {
        return Ok(found);
    }
    if let Some(found) = seed::id_of_serial(raw).and_then(held) {
        return Ok(found);
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
    let (id, order) = match certificate_of(raw, state) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let (comments, reason, skip) = match revoke_body(call) {
        Ok(parsed) => parsed,
        Err(response) => return response,
    };
    let status = state
        .order(order)
        .map_or(Status::Pending, |o| o.certificate);
    match status {
        Status::Revoked => bad(
            "invalid_status|certificate",
            &format!("Certificate {id} is already revoked."),
        ),
        Status::Issued if skip => revoke_now(state, stats, Target::Certificate(id)),
        Status::Issued => create_request(
            state,
            stats,
            (order, Target::Certificate(id)),
            comments,
            reason,
        ),
        other => bad(
            "invalid_status|certificate",
            &format!(
                "Certificate {id} is {}: only an issued certificate can be revoked.",
                other.as_str()
            ),
        ),
    }
}

/// A refused list query as DigiCert's 400.
fn refused((code, message): list::Refusal) -> Resp {
    bad(&code, &message)
}

/// `GET order/certificate`: the orders that pass the filters, one page of them.
fn list_orders(call: &Call<'_>, state: &State) -> Resp {
    let pairs = call.query_pairs();
    let (page, filter) = match list::page(&pairs).and_then(|page| {
        let filter = OrderFilter::parse(&pairs)?;
        Ok((page, filter))
    }) {
        Ok(parsed) => parsed,
        Err(refusal) => return refused(refusal),
    };
    let ids = FIRST_ORDER..FIRST_ORDER + state.orders.len() as u64;
    let (total, shown): (usize, Vec<OrderState>) = if filter.is_empty() {
        let shown = ids
            .skip(page.offset)
            .take(page.limit)
            .filter_map(|id| state.snapshot(id))
            .collect();
        (state.orders.len(), shown)
    } else {
        let mut total = 0;
        let mut shown = Vec::new();
        for (id, order) in ids.zip(&state.orders) {
            if filter.matches(id, order.status) {
                if total >= page.offset && shown.len() < page.limit {
                    shown.extend(state.snapshot(id));
                }
                total += 1;
            }
        }
        (total, shown)
    };
    let info = PageInfo {
        total,
        limit: page.limit,
        offset: page.offset,
    };
    deferred(move || views::orders_page(&shown, info))
}

/// `GET order/certificate/ID`: the order with its requests.
fn show_order(raw: &str, state: &State) -> Resp {
    let id = match raw.parse::<u64>() {
        Ok(id) => Some(id),
        Err(_) => seed::id_of_serial(raw).and_then(|c| state.order_of_certificate(c)),
    };
    let Some((order, held)) = id.and_then(|id| Some((state.snapshot(id)?, state.order(id)?)))
    else {
        return errors(
            StatusCode::NOT_FOUND,
            "not_found|order",
            &format!("Order {raw} not found."),
        );
    };
    let requests: Vec<(u64, Request)> = held
        .requests
        .iter()
        .filter_map(|id| Some((*id, state.requests.get(id)?.clone())))
        .collect();
    deferred(move || views::order(&order, &requests))
}

/// `GET request`: the requests that pass the filters, one page of them.
fn list_requests(call: &Call<'_>, state: &State) -> Resp {
    let pairs = call.query_pairs();
    let (page, filter) = match list::page(&pairs).and_then(|page| {
        let filter = RequestFilter::parse(&pairs)?;
        Ok((page, filter))
    }) {
        Ok(parsed) => parsed,
        Err(refusal) => return refused(refusal),
    };
    let mut total = 0;
    let mut shown = Vec::new();
    for (id, request) in &state.requests {
        if filter.matches(request.status.as_str(), request.kind.as_str()) {
            if total >= page.offset && shown.len() < page.limit {
                shown.push((*id, request.clone()));
            }
            total += 1;
        }
    }
    let info = PageInfo {
        total,
        limit: page.limit,
        offset: page.offset,
    };
    deferred(move || views::requests_page(&shown, info))
}

fn show_request(raw: &str, state: &State) -> Resp {
    let id = match parse_id(raw, "request_id") {
        Ok(id) => id,
        Err(response) => return response,
    };
    match state.requests.get(&id) {
        Some(request) => json(StatusCode::OK, views::request(id, request)),
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
        Some("approved") => RequestStatus::Approved,
        Some("rejected") => RequestStatus::Rejected,
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
    if !request.status.awaits_decision() {
        let message = format!("Request {id} is {}, not pending.", request.status.as_str());
        return bad("request_not_pending", &message);
    }
    request.status = status;
    request.processor_comment = comment;
    request.processed = Some(now_secs());
    let target = request.target;
    if status == RequestStatus::Approved && request.kind == Kind::Revoke {
        state.revoke(target);
    }
    stats.change(target.stats_key());
    empty(StatusCode::NO_CONTENT)
}
