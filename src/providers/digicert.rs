//! DigiCert CertCentral adapter: order and certificate revocation, and the revoke
//! requests they create (show, approve, reject).
//!
//! Every request carries `X-DC-DEVKEY` and `Content-Type: application/json`, bodies
//! or not, as the vendor's examples do. One request per ID. Errors come as
//! `{"errors":[{"code":"...","message":"..."}]}`; every code and message is reported,
//! and `access_denied_invalid_key` is an authentication failure. Revokes and status
//! changes are never re-sent once they may have reached the server: a second PUT
//! could file a second revoke request. A 429 is retried by the engine anyway, since
//! it is a refusal before anything was applied.

use std::fmt;
use std::sync::Arc;

use serde_json::{Value, json};

use crate::engine::request::{Method, Request, Response};
use crate::engine::{Operation, Unit, Verdict};
use crate::error::{Error, ErrorKind, ItemError};
use crate::input::Ids;
use crate::providers::{ProviderId, kind_for_status, operation, unreadable_error};
use crate::secret::Secret;

/// The error code DigiCert answers (with 403) when the API key is refused.
pub const INVALID_KEY: &str = "access_denied_invalid_key";

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

/// The revocation reasons DigiCert accepts, as `--reason` spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
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

    /// `GET {base}/request/REQUEST_ID`: one revoke (or other) request's details.
    pub fn show_request(&self, id: DigicertId) -> Request {
        self.request(Method::Get, &format!("/request/{id}"), None)
    }
}

/// One unit per ID, each with the request `build` makes for the parsed ID.
fn units(
    ids: Ids,
    build: impl Fn(DigicertId) -> Request + Send + 'static,
) -> impl Iterator<Item = crate::error::Result<Unit>> + Send {
    ids.iter.map(move |id| {
        let id = id?;
        let parsed = DigicertId::parse(&id).map_err(Error::usage)?;
        Ok(Unit {
            request: build(parsed),
            ids: vec![id],
        })
    })
}

/// An operation of one non-idempotent PUT per ID.
fn one_per_id(
    name: &'static str,
    irreversible: bool,
    ids: Ids,
    build: impl Fn(DigicertId) -> Request + Send + 'static,
) -> Operation {
    let (count, preview) = (ids.count, ids.preview.clone());
    operation(
        ProviderId::Digicert,
        name,
        irreversible,
        false,
        units(ids, build),
        interpret(),
    )
    .sized(count, count, preview)
}

/// `orders revoke ORDER_ID... --comment TEXT`: asks for every certificate of each
/// order to be revoked; the answer (201) is the revoke request awaiting approval.
pub fn revoke_orders(target: &Target, ids: Ids, comment: &str) -> Operation {
    let target = target.clone();
    let body = json!({"comments": comment});
    one_per_id("orders.revoke", true, ids, move |id| {
        target.request(
            Method::Put,
            &format!("/order/certificate/{id}/revoke"),
            Some(&body),
        )
    })
}

/// `certificates revoke CERT_ID... --comment TEXT [--reason R] [--skip-approval]`:
/// 201 with the revoke request, or 204 when approval was skipped.
pub fn revoke_certificates(
    target: &Target,
    ids: Ids,
    comment: &str,
    reason: Option<Reason>,
    skip_approval: bool,
) -> Operation {
    let target = target.clone();
    let mut body = serde_json::Map::new();
    body.insert("comments".into(), comment.into());
    if let Some(reason) = reason {
        body.insert("revocation_reason".into(), reason.api_value().into());
    }
    if skip_approval {
        body.insert("skip_approval".into(), true.into());
    }
    let body = Value::Object(body);
    one_per_id("certificates.revoke", true, ids, move |id| {
        target.request(
            Method::Put,
            &format!("/certificate/{id}/revoke"),
            Some(&body),
        )
    })
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
    let (name, status) = if approve {
        ("requests.approve", "approved")
    } else {
        ("requests.reject", "rejected")
    };
    let body = match comment {
        Some(c) => json!({"status": status, "processor_comment": c}),
        None => json!({"status": status}),
    };
    one_per_id(name, false, ids, move |id| {
        target.request(Method::Put, &format!("/request/{id}/status"), Some(&body))
    })
}

/// A 2xx is success, with the JSON body (the revoke request) as the item's
/// response when there is one; anything else is an error read from the body.
fn interpret() -> Arc<crate::engine::Interpret> {
    Arc::new(|_unit: &Unit, resp: &Response| {
        if resp.is_success() {
            Verdict::All(Ok(resp.reply()))
        } else {
            Verdict::All(Err(error(resp)))
        }
    })
}

/// The item error for a DigiCert error answer: every code (joined with `, `) and
/// message (joined with `; `); a refused key is `auth` whatever the status.
pub fn error(resp: &Response) -> ItemError {
    let Some(entries) = resp
        .json()
        .and_then(|v| v.get("errors").and_then(Value::as_array).cloned())
        .filter(|e| !e.is_empty())
    else {
        return unreadable_error(resp.status, &resp.body);
    };
    let field = |e: &Value, key: &str| -> Option<String> {
        e.get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let codes: Vec<String> = entries.iter().filter_map(|e| field(e, "code")).collect();
    let messages: Vec<String> = entries.iter().filter_map(|e| field(e, "message")).collect();
    let invalid_key = codes.iter().any(|c| c == INVALID_KEY);
    let mut message = if messages.is_empty() {
        format!("DigiCert answered HTTP {} with no message", resp.status)
    } else {
        messages.join("; ")
    };
    let kind = if invalid_key {
        message = format!("DigiCert refused the API key ({message}): check api_key");
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
        op.units.map(|u| u.unwrap().request).collect()
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
        let op = revoke_orders(&target(), ids(&["1001", "1002"]), "key lost");
        assert!(op.irreversible);
        assert!(!op.idempotent);
        assert_eq!(op.name, "orders.revoke");
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
    fn certificate_revokes_carry_reason_and_skip_approval_when_given() {
        let reqs = requests(revoke_certificates(
            &target(),
            ids(&["5"]),
            "c",
            None,
            false,
        ));
        assert_eq!(
            reqs[0].url,
            "https://www.digicert.com/services/v2/certificate/5/revoke"
        );
        assert_eq!(body(&reqs[0]), json!({"comments": "c"}));
        let reqs = requests(revoke_certificates(
            &target(),
            ids(&["5"]),
            "c",
            Some(Reason::CessationOfOperation),
            true,
        ));
        assert_eq!(
            body(&reqs[0]),
            json!({"comments": "c", "revocation_reason": "cessationOfOperation", "skip_approval": true})
        );
    }

    #[test]
    fn reasons_map_to_api_values() {
        use clap::ValueEnum;
        let pairs: Vec<(String, &str)> = Reason::value_variants()
            .iter()
            .map(|r| {
                let name = r.to_possible_value().unwrap().get_name().to_string();
                (name, r.api_value())
            })
            .collect();
        assert_eq!(
            pairs,
            [
                ("unspecified".to_string(), "unspecified"),
                ("key-compromise".to_string(), "keyCompromise"),
                ("affiliation-changed".to_string(), "affiliationChanged"),
                ("superseded".to_string(), "superseded"),
                ("cessation-of-operation".to_string(), "cessationOfOperation"),
            ]
        );
    }

    #[test]
    fn status_changes_omit_a_missing_comment() {
        let op = set_request_status(&target(), ids(&["9"]), true, None);
        assert!(!op.irreversible && !op.idempotent);
        assert_eq!(op.name, "requests.approve");
        let reqs = requests(op);
        assert_eq!(
            reqs[0].url,
            "https://www.digicert.com/services/v2/request/9/status"
        );
        assert_eq!(body(&reqs[0]), json!({"status": "approved"}));
        let op = set_request_status(&target(), ids(&["9"]), false, Some("no"));
        assert_eq!(op.name, "requests.reject");
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

    #[test]
    fn answers_become_outcomes() {
        let interpret = interpret();
        let unit = Unit {
            ids: vec!["1".into()],
            request: Request::new(Method::Put, "x"),
        };
        match interpret(&unit, &resp(201, r#"{"id":7,"status":"pending"}"#)) {
            Verdict::All(Ok(Some(v))) => {
                assert_eq!(*v.value(), json!({"id": 7, "status": "pending"}))
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            interpret(&unit, &resp(204, "")),
            Verdict::All(Ok(None))
        ));
    }

    #[test]
    fn every_error_code_and_message_is_reported() {
        let e = error(&resp(
            400,
            r#"{"errors":[{"code":"invalid_id","message":"Bad ID."},{"code":"missing_field","message":"comments is required."}]}"#,
        ));
        assert_eq!(e.kind, ErrorKind::Rejected);
        assert_eq!(e.code.as_deref(), Some("invalid_id, missing_field"));
        assert_eq!(e.message, "Bad ID.; comments is required.");
        assert_eq!(e.http_status, Some(400));
    }

    #[test]
    fn a_refused_key_is_auth_and_says_so() {
        let e = error(&resp(
            403,
            r#"{"errors":[{"code":"access_denied_invalid_key","message":"Invalid API key."}]}"#,
        ));
        assert_eq!(e.kind, ErrorKind::Auth);
        assert_eq!(e.code.as_deref(), Some(INVALID_KEY));
        assert!(e.message.contains("refused the API key"), "{}", e.message);
        assert!(e.message.contains("Invalid API key."), "{}", e.message);
    }

    #[test]
    fn statuses_decide_the_kind_otherwise() {
        let not_found = r#"{"errors":[{"code":"not_found","message":"Not found."}]}"#;
        assert_eq!(error(&resp(404, not_found)).kind, ErrorKind::NotFound);
        let limit = r#"{"errors":[{"code":"request_limit_exceeded","message":"Slow down."}]}"#;
        assert_eq!(error(&resp(429, limit)).kind, ErrorKind::Transient);
        let html = error(&resp(502, "<html>bad gateway</html>"));
        assert_eq!(html.kind, ErrorKind::Transient);
        assert!(html.message.contains("HTML page"));
        assert_eq!(
            error(&resp(400, r#"{"errors":[]}"#)).kind,
            ErrorKind::Rejected
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
