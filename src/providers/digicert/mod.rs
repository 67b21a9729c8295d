//! DigiCert CertCentral adapter: order and certificate revocation, and the revoke
//! requests they create (show, approve, reject); the order and request lists and
//! order details are in `digicert/lists.rs`.
//!
//! Every request carries `X-DC-DEVKEY` and `Content-Type: application/json`, bodies
//! or not, as the vendor's examples do. One request per ID. Errors come as
//! `{"errors":[{"code":"...","message":"..."}]}`, or from some endpoints as one
//! object (`{"errors":{"code":"not_found|route",...}}`); every code and message is
//! reported. Codes are compound (`access_denied|access_denied_invalid_key`) and are
//! matched by part. Revokes and status changes are never re-sent once they may have
//! reached the server: a second PUT could file a second revoke request. A 429 is
//! retried by the engine anyway, since it is a refusal before anything was applied.
//!
//! A revoke succeeds only with its documented answer (201 with the revoke request,
//! or 204 with no body); any other 2xx is `invalid_response` with its status, so the
//! engine can tell "may have been applied" from "done".

pub mod lists;

use std::fmt;

use serde_json::{Value, json};

use crate::engine::reconcile::Locator;
use crate::engine::request::{Method, Request, Response};
use crate::engine::{Account, Operation, Spec, Step, Unit, Verdict};
use crate::error::{Error, ErrorKind, ItemError};
use crate::error::{kind_for_status, unreadable_error};
use crate::input::{Ids, Listed};
use crate::providers::adapter::Endpoint;
use crate::registry::ProviderId;
use crate::report::Reply;
use crate::secret::Secret;

mod read_back;

/// The code part DigiCert answers (with 403, in `access_denied|access_denied_invalid_key`)
/// when the API key is refused.
pub const INVALID_KEY: &str = "access_denied_invalid_key";

/// Whether a compound code (`not_found|order`) has `part` among its `|`-joined parts:
/// the live API adds detail parts, so matching the whole code would miss them.
pub fn code_has(code: &str, part: &str) -> bool {
    code.split('|').any(|p| p.trim() == part)
}

/// An order, certificate or request ID: DigiCert numbers them with positive integers.
///
/// Parsing it before anything is sent turns a typo into a usage error instead of a
/// 404 (or, worse, a request for some other object).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DigicertId(u64);

impl DigicertId {
    /// Reads an ID: ASCII digits only (no sign, no spaces), not zero, fitting in 64 bits.
    pub fn parse(text: &str) -> Result<DigicertId, String> {
        let bad = || format!("`{text}` is not a DigiCert ID: IDs are positive integers");
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        match text.parse::<u64>() {
            Ok(0) | Err(_) => Err(bad()),
            Ok(n) => Ok(DigicertId(n)),
        }
    }

    /// The check [`crate::input::open`] runs on every ID before anything is sent.
    pub fn check(text: &str) -> Result<(), String> {
        DigicertId::parse(text).map(|_| ())
    }
}

impl fmt::Display for DigicertId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// How `certificates revoke` names a certificate: the API takes "the certificate ID
/// or serial number" in the same place of the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum By {
    /// A certificate ID (a positive integer).
    #[default]
    Id,
    /// A serial number in hex (`0A1B...` or `0a:1b:...`).
    Serial,
}

impl By {
    /// The check [`crate::input::open`] runs on every CERT before anything is sent.
    pub fn check(self) -> crate::input::Check {
        match self {
            By::Id => DigicertId::check,
            By::Serial => check_serial,
        }
    }

    /// The path segment of a checked CERT: the ID as a number, or the serial in
    /// lowercase hex without colons.
    fn segment(self, text: &str) -> Result<String, String> {
        match self {
            By::Id => DigicertId::parse(text).map(|id| id.to_string()),
            By::Serial => serial(text),
        }
    }
}

/// Most hex digits a serial number may have (RFC 5280 allows 20 octets).
const SERIAL_DIGITS: usize = 40;

/// A serial number as the API takes it: 1 to 40 hex digits, given plain
/// (`0A1B2C`) or in colon-separated groups (`0a:1b:2c`), sent lowercase without
/// colons. Anything else would address no certificate, or another one.
pub fn serial(text: &str) -> Result<String, String> {
    let bad = |why: &str| format!("`{text}` is not a certificate serial number: {why}");
    let groups: Vec<&str> = text.split(':').collect();
    if groups.iter().any(|g| g.is_empty()) {
        return Err(bad(
            "expected hex digits, optionally in groups joined by `:`",
        ));
    }
    if !groups
        .iter()
        .all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Err(bad("expected hex digits (0-9, a-f)"));
    }
    let digits: String = groups.concat().to_ascii_lowercase();
    if digits.len() > SERIAL_DIGITS {
        return Err(bad("a serial has at most 40 hex digits"));
    }
    Ok(digits)
}

/// [`serial`] as an input check.
pub fn check_serial(text: &str) -> Result<(), String> {
    serial(text).map(|_| ())
}

/// The revocation reasons DigiCert accepts, as `--reason` spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// No particular reason.
    Unspecified,
    /// The private key was (or may have been) exposed.
    KeyCompromise,
    /// The subject's affiliation or name changed.
    AffiliationChanged,
    /// A new certificate replaces this one.
    Superseded,
    /// The certificate is no longer needed.
    CessationOfOperation,
}

impl Reason {
    /// The value the API takes in `revocation_reason`.
    pub fn api_value(self) -> &'static str {
        match self {
            Reason::Unspecified => "unspecified",
            Reason::KeyCompromise => "keyCompromise",
            Reason::AffiliationChanged => "affiliationChanged",
            Reason::Superseded => "superseded",
            Reason::CessationOfOperation => "cessationOfOperation",
        }
    }
}

/// Where and as whom requests go.
#[derive(Debug, Clone)]
pub struct Target {
    /// Base URL without a trailing `/`.
    pub base: String,
    /// The API key, sent as `X-DC-DEVKEY`.
    pub api_key: Secret,
}

impl Target {
    /// A request with the key header; `body` also sets the content type, and
    /// without one the content type is added anyway, as the API documents it.
    fn request(&self, method: Method, path: &str, body: Option<&Value>) -> Request {
        let req = Request::new(method, format!("{}{path}", self.base))
            .secret_header("x-dc-devkey", self.api_key.clone());
        match body {
            Some(body) => req.json(body),
            None => req.header("content-type", "application/json"),
        }
    }

    /// The target of the account a read-back is for.
    fn of(account: &Account) -> Target {
        Target {
            base: account.base.clone(),
            api_key: account.secret.clone(),
        }
    }

    /// The account requests go to, as the engine's judges see it.
    fn account(&self) -> Account {
        Account {
            base: self.base.clone(),
            secret: self.api_key.clone(),
        }
    }

    /// `GET {base}/request/REQUEST_ID`: one revoke (or other) request's details.
    pub fn show_request(&self, id: DigicertId) -> Request {
        self.request(Method::Get, &format!("/request/{id}"), None)
    }

    /// `GET {base}/order/certificate/ORDER_ID`: one order, with its requests.
    pub fn show_order(&self, id: DigicertId) -> Request {
        self.request(Method::Get, &format!("/order/certificate/{id}"), None)
    }
}

/// One unit per ID, each with the request `build` makes for the path segment
/// `segment` turns the ID into (a usage error when it cannot).
fn units(
    ids: Ids,
    segment: impl Fn(&str) -> Result<String, String> + Send + 'static,
    build: impl Fn(&str) -> Request + Send + 'static,
) -> impl Iterator<Item = crate::error::Result<Step>> + Send {
    ids.iter.map(move |listed| {
        let id = match listed? {
            Listed::Send(id) => id,
            Listed::Passed(passed) => return Ok(Step::Passed(passed)),
        };
        let segment = segment(&id).map_err(Error::usage)?;
        Ok(Step::Send(Unit {
            request: build(&segment),
            ids: vec![id],
        }))
    })
}

/// An operation of `spec`: one PUT per ID.
fn one_per_id(
    spec: &'static Spec,
    target: &Target,
    ids: Ids,
    segment: impl Fn(&str) -> Result<String, String> + Send + 'static,
    build: impl Fn(&str) -> Request + Send + 'static,
) -> Operation {
    let (count, preview) = (ids.count, ids.preview.clone());
    Operation::new(spec, target.account(), units(ids, segment, build)).sized(count, count, preview)
}

/// What a revoke asks besides the comment.
#[derive(Debug, Clone, Copy, Default)]
pub struct RevokeOptions {
    /// Sent as `revocation_reason` when given.
    pub reason: Option<Reason>,
    /// Sent as `"skip_approval":true` when set: revoke at once, no request to approve.
    pub skip_approval: bool,
}

/// The body of both revokes: `comments`, plus the reason and `skip_approval` when given.
fn revoke_body(comment: &str, options: RevokeOptions) -> Value {
    let mut body = serde_json::Map::new();
    body.insert("comments".into(), comment.into());
    if let Some(reason) = options.reason {
        body.insert("revocation_reason".into(), reason.api_value().into());
    }
    if options.skip_approval {
        body.insert("skip_approval".into(), true.into());
    }
    Value::Object(body)
}

/// `orders revoke ORDER_ID... --comment TEXT [--reason R] [--skip-approval]`: asks
/// for every certificate of each order to be revoked; 201 with the revoke request
/// awaiting approval, or 204 when approval was skipped.
pub fn revoke_orders(
    target: &Target,
    ids: Ids,
    comment: &str,
    options: RevokeOptions,
) -> Operation {
    let target = target.clone();
    let body = revoke_body(comment, options);
    let segment = |id: &str| DigicertId::parse(id).map(|id| id.to_string());
    one_per_id(&ORDERS_REVOKE, &target.clone(), ids, segment, move |id| {
        target.request(
            Method::Put,
            &format!("/order/certificate/{id}/revoke"),
            Some(&body),
        )
    })
}

/// `certificates revoke CERT... --comment TEXT [--reason R] [--skip-approval]
/// [--by id|serial]`: 201 with the revoke request, or 204 when approval was skipped.
/// CERT is an ID or, with `--by serial`, a serial sent as lowercase hex.
pub fn revoke_certificates(
    target: &Target,
    ids: Ids,
    comment: &str,
    options: RevokeOptions,
    by: By,
) -> Operation {
    let target = target.clone();
    let body = revoke_body(comment, options);
    let mut op = one_per_id(
        &CERTIFICATES_REVOKE,
        &target.clone(),
        ids,
        move |cert| by.segment(cert),
        move |cert| {
            target.request(
                Method::Put,
                &format!("/certificate/{cert}/revoke"),
                Some(&body),
            )
        },
    );
    op.locator.by_serial = by == By::Serial;
    op
}

/// `requests approve|reject REQUEST_ID... [--comment TEXT]`: sets the status of
/// pending requests; `processor_comment` is sent only when a comment was given.
pub fn set_request_status(
    target: &Target,
    ids: Ids,
    approve: bool,
    comment: Option<&str>,
) -> Operation {
    let target = target.clone();
    let (spec, status) = if approve {
        (&REQUESTS_APPROVE, "approved")
    } else {
        (&REQUESTS_REJECT, "rejected")
    };
    let body = match comment {
        Some(c) => json!({"status": status, "processor_comment": c}),
        None => json!({"status": status}),
    };
    let segment = |id: &str| DigicertId::parse(id).map(|id| id.to_string());
    one_per_id(spec, &target.clone(), ids, segment, move |id| {
        target.request(Method::Put, &format!("/request/{id}/status"), Some(&body))
    })
}

/// Revokes ask for confirmation and are never sent twice once they may have
/// arrived: each files a new revoke request. Approving or rejecting sets a state,
/// so it is safe to repeat (see "When a run is cut or its outcome is unknown" in
/// the README).
pub const ORDERS_REVOKE: Spec = Spec {
    provider: ProviderId::Digicert,
    name: "orders.revoke",
    irreversible: true,
    idempotent: false,
    judge: |_, resp, _| Verdict::All(judge_revoke(resp)),
    read_back: Some(read_back::orders),
    locate: |_| Locator::default(),
    follow: None,
};

/// See [`ORDERS_REVOKE`].
pub const CERTIFICATES_REVOKE: Spec = Spec {
    provider: ProviderId::Digicert,
    name: "certificates.revoke",
    irreversible: true,
    idempotent: false,
    judge: |_, resp, _| Verdict::All(judge_revoke(resp)),
    read_back: Some(read_back::certificates),
    locate: read_back::locate_certificates,
    follow: None,
};

/// See [`ORDERS_REVOKE`].
pub const REQUESTS_APPROVE: Spec = Spec {
    provider: ProviderId::Digicert,
    name: "requests.approve",
    irreversible: false,
    idempotent: true,
    judge: |_, resp, _| Verdict::All(judge_status_change(resp)),
    read_back: None,
    locate: |_| Locator::default(),
    follow: None,
};

/// See [`ORDERS_REVOKE`].
pub const REQUESTS_REJECT: Spec = Spec {
    provider: ProviderId::Digicert,
    name: "requests.reject",
    irreversible: false,
    idempotent: true,
    judge: |_, resp, _| Verdict::All(judge_status_change(resp)),
    read_back: None,
    locate: |_| Locator::default(),
    follow: None,
};

/// Every state-changing DigiCert operation.
pub const SPECS: &[&Spec] = &[
    &ORDERS_REVOKE,
    &CERTIFICATES_REVOKE,
    &REQUESTS_APPROVE,
    &REQUESTS_REJECT,
];

/// A revoke's documented success: 201 with the revoke request (a JSON object with
/// an integer `id`) as the item's response, or 204 with no body. Any other 2xx is
/// `invalid_response` with its status: the revoke may have been filed, and the
/// engine must not call that a failure nor a success.
fn judge_revoke(resp: &Response) -> Result<Option<Reply>, ItemError> {
    if !resp.is_success() {
        return Err(error(resp));
    }
    let undocumented = |what: &str| {
        Err(ItemError::new(
            ErrorKind::InvalidResponse,
            format!(
                "DigiCert answered HTTP {} with {what} instead of the documented 201 with the revoke request or 204 with no body; check with `certctl digicert requests show` before sending again",
                resp.status
            ),
        )
        .status(resp.status))
    };
    match resp.status {
        204 if resp.body.is_empty() => Ok(None),
        204 => undocumented("a body"),
        201 if is_revoke_request(&resp.body) => Ok(resp.reply()),
        201 => match resp.json() {
            Some(Value::Object(_)) => undocumented("an object without the request's `id`"),
            Some(_) => undocumented("JSON that is not the revoke request object"),
            None if resp.body.is_empty() => undocumented("no body"),
            None => undocumented("a body that is not JSON"),
        },
        _ => undocumented("an undocumented status"),
    }
}

/// The part of a revoke request that certctl checks: the ID the API filed it under.
#[derive(serde::Deserialize)]
struct Filed {
    #[serde(rename = "id")]
    _id: u64,
}

/// Whether a body is a JSON object with an integer `id`, read without building a
/// tree: the body is passed through to the report as it came (bulk revokes are
/// the hot path). The `{` check keeps serde from reading an array as the struct.
fn is_revoke_request(body: &[u8]) -> bool {
    body.trim_ascii_start().first() == Some(&b'{') && serde_json::from_slice::<Filed>(body).is_ok()
}

/// Approving or rejecting succeeds with any 2xx (204 typically), with the JSON body
/// as the item's response when there is one.
fn judge_status_change(resp: &Response) -> Result<Option<Reply>, ItemError> {
    if resp.is_success() {
        Ok(resp.reply())
    } else {
        Err(error(resp))
    }
}

/// The entries of a DigiCert error body: `errors` as an array, or as one object.
fn error_entries(body: &Value) -> Vec<&Value> {
    match body.get("errors") {
        Some(Value::Array(entries)) => entries.iter().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => Vec::new(),
    }
}

/// The item error for a DigiCert error answer: every code (joined with `, `) and
/// message (joined with `; `), from either form of `errors`; a refused key is
/// `auth` whatever the status, and its message names the `api_key` setting.
pub fn error(resp: &Response) -> ItemError {
    let Some(body) = resp.json() else {
        return unreadable_error(resp.status, &resp.body);
    };
    let entries = error_entries(&body);
    if entries.is_empty() {
        return unreadable_error(resp.status, &resp.body);
    }
    let field = |e: &Value, key: &str| -> Option<String> {
        e.get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let codes: Vec<String> = entries.iter().filter_map(|e| field(e, "code")).collect();
    let messages: Vec<String> = entries.iter().filter_map(|e| field(e, "message")).collect();
    let invalid_key = codes.iter().any(|c| code_has(c, INVALID_KEY));
    let mut message = if messages.is_empty() {
        format!("DigiCert answered HTTP {} with no message", resp.status)
    } else {
        messages.join("; ")
    };
    let kind = if invalid_key {
        message = format!(
            "DigiCert refused the API key ({message}): check the api_key setting (api_key, api_key_file or CERTCTL_DIGICERT_API_KEY)"
        );
        ErrorKind::Auth
    } else {
        kind_for_status(resp.status)
    };
    let mut e = ItemError::new(kind, message).status(resp.status);
    if !codes.is_empty() {
        e = e.code(codes.join(", "));
    }
    e
}

/// The rows `requests show` prints in text mode: the request's own fields plus
/// its order's ID and its requester's e-mail lifted out of their objects.
pub fn request_rows(value: &Value) -> Value {
    let flatten = |r: &Value| {
        json!({
            "id": r.get("id"),
            "type": r.get("type"),
            "status": r.get("status"),
            "date": r.get("date"),
            "order": r.get("order").and_then(|o| o.get("id")),
            "requester": r.get("requester").and_then(|u| u.get("email")),
            "comments": r.get("comments"),
        })
    };
    match value {
        Value::Array(items) => Value::Array(items.iter().map(flatten).collect()),
        one => Value::Array(vec![flatten(one)]),
    }
}

/// The columns of the `requests show` table, over [`request_rows`].
pub const REQUEST_COLUMNS: &[(&str, &str)] = &[
    ("id", "id"),
    ("type", "type"),
    ("status", "status"),
    ("date", "date"),
    ("order", "order"),
    ("requester", "requester"),
    ("comments", "comments"),
];

/// This adapter, as `check`, `apply` and `--plan-out` see it.
pub struct Api;

impl crate::providers::adapter::Adapter for Api {
    /// `certctl check`: `GET /user/me`, the documented read-only request that the API
    /// key is accepted.
    fn probe(&self, at: &Endpoint<'_>) -> crate::providers::adapter::Probe {
        let target = Target {
            base: at.base.to_string(),
            api_key: at.secret.clone(),
        };
        crate::providers::adapter::Probe {
            request: target.request(Method::Get, "/user/me", None),
            verifies_credential: true,
        }
    }

    fn specs(&self) -> &'static [&'static Spec] {
        SPECS
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::test_support::{self, resp};

    fn target() -> Target {
        Target {
            base: "https://www.digicert.com/services/v2".into(),
            api_key: Secret::new("devkey"),
        }
    }

    fn ids(list: &[&str]) -> Ids {
        test_support::ids(list, DigicertId::check)
    }

    fn requests(op: Operation) -> Vec<Request> {
        op.units.map(|u| u.unwrap().unit().request).collect()
    }

    fn body(req: &Request) -> Value {
        serde_json::from_slice(req.body.as_ref().unwrap()).unwrap()
    }

    fn headers(req: &Request) -> Vec<(&str, &str)> {
        req.headers.iter().map(|(n, v)| (*n, v.exposed())).collect()
    }

    #[test]
    fn ids_are_positive_integers() {
        assert_eq!(DigicertId::parse("1001"), Ok(DigicertId(1001)));
        assert_eq!(
            DigicertId::parse("007").map(|i| i.to_string()),
            Ok("7".into())
        );
        for bad in [
            "",
            "0",
            "00",
            "-1",
            "+1",
            "1.5",
            "12a",
            "1 2",
            "99999999999999999999",
        ] {
            let e = DigicertId::parse(bad).unwrap_err();
            assert!(e.contains(&format!("`{bad}`")), "{bad}: {e}");
        }
    }

    #[test]
    fn order_revokes_are_one_put_each() {
        let op = revoke_orders(
            &target(),
            ids(&["1001", "1002"]),
            "key lost",
            RevokeOptions::default(),
        );
        assert!(op.spec.irreversible);
        assert!(!op.spec.idempotent);
        assert_eq!(op.spec.name, "orders.revoke");
        assert_eq!((op.count, op.requests), (Some(2), Some(2)));
        let reqs = requests(op);
        assert_eq!(reqs.len(), 2);
        assert_eq!(reqs[0].method, Method::Put);
        assert_eq!(
            reqs[1].url,
            "https://www.digicert.com/services/v2/order/certificate/1002/revoke"
        );
        assert_eq!(body(&reqs[0]), json!({"comments": "key lost"}));
        assert_eq!(
            headers(&reqs[0]),
            [
                ("x-dc-devkey", "devkey"),
                ("content-type", "application/json")
            ]
        );
    }

    #[test]
    fn order_revokes_carry_reason_and_skip_approval_when_given() {
        let options = RevokeOptions {
            reason: Some(Reason::KeyCompromise),
            skip_approval: true,
        };
        let reqs = requests(revoke_orders(&target(), ids(&["1001"]), "c", options));
        assert_eq!(
            body(&reqs[0]),
            json!({"comments": "c", "revocation_reason": "keyCompromise", "skip_approval": true})
        );
    }

    #[test]
    fn certificate_revokes_carry_reason_and_skip_approval_when_given() {
        let reqs = requests(revoke_certificates(
            &target(),
            ids(&["5"]),
            "c",
            RevokeOptions::default(),
            By::Id,
        ));
        assert_eq!(
            reqs[0].url,
            "https://www.digicert.com/services/v2/certificate/5/revoke"
        );
        assert_eq!(body(&reqs[0]), json!({"comments": "c"}));
        let options = RevokeOptions {
            reason: Some(Reason::CessationOfOperation),
            skip_approval: true,
        };
        let reqs = requests(revoke_certificates(
            &target(),
            ids(&["5"]),
            "c",
            options,
            By::Id,
        ));
        assert_eq!(
            body(&reqs[0]),
            json!({"comments": "c", "revocation_reason": "cessationOfOperation", "skip_approval": true})
        );
    }

    #[test]
    fn serials_are_sent_lowercase_without_colons() {
        let list = ["0A1B2C3D", "0a:1b:2c:3d", "7"];
        let certs = test_support::ids(&list, By::Serial.check());
        let reqs = requests(revoke_certificates(
            &target(),
            certs,
            "c",
            RevokeOptions::default(),
            By::Serial,
        ));
        let urls: Vec<&str> = reqs.iter().map(|r| r.url.as_str()).collect();
        assert_eq!(
            urls,
            [
                "https://www.digicert.com/services/v2/certificate/0a1b2c3d/revoke",
                "https://www.digicert.com/services/v2/certificate/0a1b2c3d/revoke",
                "https://www.digicert.com/services/v2/certificate/7/revoke",
            ]
        );
        assert_eq!(serial(&"F".repeat(40)), Ok("f".repeat(40)));
        for bad in [
            "",
            ":",
            "0a:",
            ":0a",
            "0a::1b",
            "0x1b",
            "0g",
            "0a 1b",
            "0a-1b",
            "é1",
            &"f".repeat(41),
        ] {
            let e = serial(bad).unwrap_err();
            assert!(e.contains(&format!("`{bad}`")), "{bad}: {e}");
        }
    }

    #[test]
    fn without_by_serial_a_serial_is_not_an_id() {
        assert!(By::Id.check()("0a1b").is_err());
        assert!(By::Id.check()("1001").is_ok());
        assert!(By::Serial.check()("0a1b").is_ok());
    }

    #[test]
    fn status_changes_omit_a_missing_comment() {
        let op = set_request_status(&target(), ids(&["9"]), true, None);
        assert!(!op.spec.irreversible && op.spec.idempotent);
        assert_eq!(op.spec.name, "requests.approve");
        let reqs = requests(op);
        assert_eq!(
            reqs[0].url,
            "https://www.digicert.com/services/v2/request/9/status"
        );
        assert_eq!(body(&reqs[0]), json!({"status": "approved"}));
        let op = set_request_status(&target(), ids(&["9"]), false, Some("no"));
        assert_eq!(op.spec.name, "requests.reject");
        assert_eq!(
            body(&requests(op)[0]),
            json!({"status": "rejected", "processor_comment": "no"})
        );
    }

    #[test]
    fn reads_carry_the_content_type_too() {
        let req = target().show_request(DigicertId(42));
        assert_eq!(req.method, Method::Get);
        assert!(req.body.is_none());
        assert_eq!(req.url, "https://www.digicert.com/services/v2/request/42");
        assert_eq!(
            headers(&req),
            [
                ("x-dc-devkey", "devkey"),
                ("content-type", "application/json")
            ]
        );
        assert_eq!(
            req.to_display_json()["headers"]["x-dc-devkey"],
            "<redacted>"
        );
    }

    /// A recorded answer from `fixtures/digicert/`.
    fn recorded(name: &str) -> String {
        let path = format!("{}/fixtures/digicert/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// The verdict of a revoke operation's own judge on `answer`.
    fn revoke_verdict(answer: &Response) -> Result<Option<Reply>, ItemError> {
        let op = revoke_orders(&target(), ids(&["1"]), "c", RevokeOptions::default());
        let unit = Unit {
            ids: vec!["1".into()],
            request: Request::new(Method::Put, "x"),
        };
        match op.judge(&unit, answer) {
            Verdict::All(result) => result,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_created_revoke_request_is_the_response() {
        let body = recorded("revoke_request_pending.json");
        let reply = revoke_verdict(&resp(201, &body)).unwrap().unwrap();
        assert_eq!(reply.value()["id"], 1);
        assert_eq!(reply.value()["status"], "pending");
        assert!(revoke_verdict(&resp(204, "")).unwrap().is_none());
    }

    #[test]
    fn undocumented_2xx_answers_are_invalid_responses_with_their_status() {
        let pending = recorded("revoke_request_pending.json");
        let cases = [
            (200, recorded("revoke_ok_html.html")),
            (201, recorded("revoke_truncated.json")),
            (201, recorded("revoke_array.json")),
            (201, recorded("revoke_object_without_id.json")),
            (201, String::new()),
            (201, "\"pending\"".to_string()),
            (200, pending.clone()),
            (202, pending.clone()),
            (299, pending),
            (204, "{}".to_string()),
        ];
        for (status, body) in cases {
            let e = revoke_verdict(&resp(status, &body)).unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidResponse, "{status} {body}");
            assert_eq!(e.http_status, Some(status), "{status} {body}");
            assert!(
                e.message.contains(&format!("HTTP {status}")),
                "{}",
                e.message
            );
            assert!(!e.message.contains('\n'), "{}", e.message);
        }
    }

    #[test]
    fn status_changes_succeed_on_any_2xx() {
        let op = set_request_status(&target(), ids(&["9"]), true, None);
        let unit = Unit {
            ids: vec!["9".into()],
            request: Request::new(Method::Put, "x"),
        };
        for (status, body) in [(204, ""), (200, "{}"), (200, "")] {
            assert!(
                matches!(op.judge(&unit, &resp(status, body)), Verdict::All(Ok(_))),
                "{status} {body}"
            );
        }
        let refused = op.judge(&unit, &resp(403, &recorded("error_invalid_key.json")));
        assert!(
            matches!(refused, Verdict::All(Err(ref e)) if e.kind == ErrorKind::Auth),
            "{refused:?}"
        );
    }

    #[test]
    fn compound_codes_match_by_part() {
        assert!(code_has(
            "access_denied|access_denied_invalid_key",
            INVALID_KEY
        ));
        assert!(code_has("access_denied_invalid_key", INVALID_KEY));
        assert!(code_has("not_found | order", "order"));
        assert!(!code_has("access_denied", INVALID_KEY));
        assert!(!code_has("access_denied_invalid_key_x", INVALID_KEY));
    }

    #[test]
    fn the_object_form_of_errors_is_read() {
        let e = error(&resp(404, &recorded("error_object_route_not_found.json")));
        assert_eq!(e.kind, ErrorKind::NotFound);
        assert_eq!(e.code.as_deref(), Some("not_found|route"));
        assert_eq!(e.message, "The requested route was not found.");
        assert_eq!(e.http_status, Some(404));
    }

    #[test]
    fn a_compound_not_found_code_is_reported_whole() {
        let e = error(&resp(404, &recorded("error_order_not_found.json")));
        assert_eq!(e.kind, ErrorKind::NotFound);
        assert_eq!(e.code.as_deref(), Some("not_found|order"));
        assert_eq!(e.message, "Order not found.");
    }

    #[test]
    fn every_error_code_and_message_is_reported() {
        let e = error(&resp(400, &recorded("error_invalid_request.json")));
        assert_eq!(e.kind, ErrorKind::Rejected);
        assert_eq!(e.code.as_deref(), Some("invalid_status, missing_param"));
        assert_eq!(
            e.message,
            "The order is not in a state that allows revocation.; comments is required."
        );
        assert_eq!(e.http_status, Some(400));
    }

    #[test]
    fn a_refused_key_is_auth_and_names_the_setting() {
        let e = error(&resp(403, &recorded("error_invalid_key.json")));
        assert_eq!(e.kind, ErrorKind::Auth);
        assert_eq!(
            e.code.as_deref(),
            Some("access_denied|access_denied_invalid_key")
        );
        assert!(e.message.contains("refused the API key"), "{}", e.message);
        assert!(e.message.contains("api_key"), "{}", e.message);
        assert!(
            e.message.contains("Access denied: Invalid API key."),
            "{}",
            e.message
        );
        // The bare part alone, and whatever the status, is the same refusal.
        let bare = r#"{"errors":{"code":"access_denied_invalid_key","message":"Invalid."}}"#;
        assert_eq!(error(&resp(400, bare)).kind, ErrorKind::Auth);
    }

    #[test]
    fn statuses_decide_the_kind_otherwise() {
        let not_found = recorded("error_not_found.json");
        assert_eq!(error(&resp(404, &not_found)).kind, ErrorKind::NotFound);
        let limit = error(&resp(429, &recorded("error_limit_exceeded.json")));
        assert_eq!(limit.kind, ErrorKind::Transient);
        assert_eq!(limit.code.as_deref(), Some("request_limit_exceeded"));
        let server = error(&resp(500, &recorded("error_server.json")));
        assert_eq!(server.kind, ErrorKind::Transient);
        let html = error(&resp(502, "<html>bad gateway</html>"));
        assert_eq!(html.kind, ErrorKind::Transient);
        assert!(html.message.contains("HTML page"));
        assert_eq!(
            error(&resp(400, r#"{"errors":[]}"#)).kind,
            ErrorKind::Rejected
        );
        assert_eq!(
            error(&resp(403, r#"{"errors":"denied"}"#)).kind,
            ErrorKind::Auth
        );
    }

    #[test]
    fn request_rows_lift_nested_fields() {
        let detail = json!({"id": 3, "type": "revoke", "status": "pending", "date": "d",
            "order": {"id": 1001}, "requester": {"email": "a@b.c"}, "comments": "x"});
        let rows = request_rows(&detail);
        assert_eq!(rows[0]["order"], 1001);
        assert_eq!(rows[0]["requester"], "a@b.c");
        assert_eq!(
            request_rows(&json!([detail, detail]))
                .as_array()
                .unwrap()
                .len(),
            2
        );
    }
}
