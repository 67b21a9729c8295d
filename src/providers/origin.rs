//! Origin adapter: certification deletion (sync or async) and async results.
//!
//! Every request carries `Authorization: Bearer <token>`. A delete posts batches of
//! `{"certifications":[{"originId":..}|{"externalId":..}]}`; success is HTTP 200 with
//! `status.state == "SUCCESS"`, and `status.state == "ERROR"` is a rejection whatever
//! the HTTP status. An async delete answers with a pooling-callback URL, which is
//! only ever requested when it points at the configured host, so the token never
//! leaves it. The delete is not idempotent: the engine never re-sends it once it may
//! have reached the server. Polling itself (sleeps, deadline) is the engine's or the
//! command's business; this module only judges answers.

use std::time::Duration;

use std::sync::Arc;

use serde_json::{Value, json};

use crate::engine::reconcile::{Locator, Pending, Read, ReadBack, ReadVerdict, Reading, Settled};
use crate::engine::request::{Method, Request, Response};
use crate::engine::{Account, Judging, Operation, Spec, Unit, Verdict};
use crate::error::unreadable_error;
use crate::error::{ErrorKind, ItemError};
use crate::input::Ids;
use crate::providers::adapter::{Endpoint, batched, request_count};
use crate::registry::ProviderId;
use crate::report::Reply;
use crate::secret::Secret;

/// The path of a bare batch ID's result, after the base URL.
const RESULT_PATH: &str = "/connect/v1/result/certifications_delete/batch/";

/// The path of the certifications search, after the base URL.
const SEARCH: &str = "/connect/v1/certifications/search";

/// The path of the async delete, after the base URL.
const ASYNC_DELETE: &str = "/connect/v1/async/certifications/delete";

/// The error code Origin gives when the token is not accepted.
const NOT_AUTHORIZED: &str = "CE00002";

/// Where and as whom requests go.
#[derive(Debug, Clone)]
pub struct Target {
    /// Base URL without a trailing `/`.
    pub base: String,
    /// The API token.
    pub token: Secret,
}

impl Target {
    fn request(&self, method: Method, url: String) -> Request {
        Request::new(method, url).secret_header(
            "authorization",
            Secret::new(format!("Bearer {}", self.token.expose())),
        )
    }

    /// The GET of a pooling callback, refused (kind `refused`) when its scheme, host
    /// or port differs from the base URL's: the token goes only where the user said.
    pub fn poll_request(&self, callback: &str) -> Result<Request, ItemError> {
        let refuse = |why: String| ItemError::new(ErrorKind::Refused, why);
        let url = url::Url::parse(callback).map_err(|e| {
            refuse(format!(
                "the pooling callback `{callback}` is not a URL ({e}); nothing was requested"
            ))
        })?;
        let base = url::Url::parse(&self.base).map_err(|e| {
            refuse(format!(
                "the Origin base_url `{}` is not a URL ({e})",
                self.base
            ))
        })?;
        let same = url.scheme() == base.scheme()
            && url.host_str() == base.host_str()
            && url.port_or_known_default() == base.port_or_known_default();
        if !same {
            return Err(refuse(format!(
                "the pooling callback `{callback}` is not on the configured Origin host ({}); certctl does not send the token there, so it was not requested",
                origin_of(&base)
            )));
        }
        Ok(self.request(Method::Get, callback.to_string()))
    }

    /// The pooling-callback URL of a bare batch ID.
    pub fn batch_url(&self, batch_id: &str) -> String {
        format!("{}{RESULT_PATH}{batch_id}", self.base)
    }
}

/// `scheme://host:port` of a URL, for messages.
fn origin_of(url: &url::Url) -> String {
    match (url.host_str(), url.port_or_known_default()) {
        (Some(host), Some(port)) => format!("{}://{host}:{port}", url.scheme()),
        (Some(host), None) => format!("{}://{host}", url.scheme()),
        _ => url.as_str().to_string(),
    }
}

/// Whether a `results show` argument is a usable bare batch ID (a UUID in practice):
/// it goes into the URL path as is, so only URL-safe characters are taken.
pub fn check_batch_id(id: &str) -> Result<(), String> {
    let safe = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~');
    if !id.is_empty() && id.chars().all(safe) && id != "." && id != ".." {
        Ok(())
    } else {
        Err(format!(
            "`{id}` is neither a pooling-callback URL nor a batch ID (letters, digits, `-`, `_`, `.`, `~`)"
        ))
    }
}

/// How `certifications delete` runs, from its flags.
#[derive(Debug, Clone, Copy)]
pub struct DeleteOptions {
    /// IDs are the caller's own (`externalId`) rather than Origin's (`originId`).
    pub external: bool,
    /// Use the async endpoint, which answers with a pooling callback.
    pub asynchronous: bool,
    /// With `--wait`: how long each batch's callback is polled.
    pub wait: Option<Duration>,
    /// IDs per request.
    pub batch_size: usize,
}

/// `certifications delete ID...`: one POST per batch, never re-sent.
pub fn delete(target: &Target, ids: Ids, opts: DeleteOptions) -> Operation {
    let (count, preview) = (ids.count, ids.preview.clone());
    let path = if opts.asynchronous {
        ASYNC_DELETE
    } else {
        "/connect/v1/certifications/delete"
    };
    let key = if opts.external {
        "externalId"
    } else {
        "originId"
    };
    let builder = target.clone();
    let units = batched(ids, opts.batch_size, move |batch| {
        let items: Vec<Value> = batch.iter().map(|id| json!({ key: id })).collect();
        builder
            .request(Method::Post, format!("{}{path}", builder.base))
            .json(&json!({ "certifications": items }))
    });
    let account = Account {
        base: target.base.clone(),
        secret: target.token.clone(),
    };
    let mut op = Operation::new(&CERTIFICATIONS_DELETE, account, units).sized(
        count,
        request_count(count, opts.batch_size),
        preview,
    );
    op.wait = opts.wait;
    op.locator.external = opts.external;
    op
}

/// The delete asks for confirmation and is never sent twice once it may have
/// arrived. Its judge tells an async delete from a sync one by the async path in
/// the unit's URL, so a plan (which keeps no `--wait`) is judged as the command is:
/// an async delete reports each batch's pooling callback (checked against the
/// account's host), or with `--wait` follows it until final.
pub const CERTIFICATIONS_DELETE: Spec = Spec {
    provider: ProviderId::Origin,
    name: "certifications.delete",
    irreversible: true,
    idempotent: false,
    judge: judge_delete,
    read_back: Some(read_back),
    locate: locate_external,
    follow: Some("certctl origin results show"),
};

/// Every state-changing Origin operation.
pub const SPECS: &[&Spec] = &[&CERTIFICATIONS_DELETE];

/// The read-back of a delete whose outcome is unknown (README, "When a run is cut
/// or its outcome is unknown"): the items of a batch whose result URL the API gave
/// are settled by that result (final and not `ERROR`: applied; `ERROR`: not
/// applied; pending: still unknown), read only on the configured host; any other
/// `originId` is looked up with the certifications search (found: not applied,
/// gone: applied). Items given by `externalId` have no read and stay unknown.
fn read_back(account: &Account, items: Vec<Pending>, _: Reading) -> ReadBack {
    let target = Target {
        base: account.base.clone(),
        token: account.secret.clone(),
    };
    {
        let mut back = ReadBack::default();
        let mut batches: Vec<(String, Vec<String>)> = Vec::new();
        for p in items {
            match (&p.locator.callback, p.locator.external) {
                (Some(url), _) => match batches.iter_mut().find(|(u, _)| u == url) {
                    Some((_, ids)) => ids.push(p.id),
                    None => batches.push((url.clone(), vec![p.id])),
                },
                (None, true) => back.settled.push((
                    p.id,
                    Settled::Unknown(
                        "given by externalId, which Origin's search cannot look up: check it in Origin".into(),
                    ),
                )),
                (None, false) => back.reads.push(search(&target, p.id)),
            }
        }
        for (url, ids) in batches {
            match target.poll_request(&url) {
                Ok(request) => back.reads.push(Read {
                    ids,
                    request,
                    judge: Arc::new(judge_batch),
                }),
                Err(e) => {
                    let why =
                        Settled::Unknown(format!("its batch result cannot be read: {}", e.message));
                    back.settled
                        .extend(ids.into_iter().map(|id| (id, why.clone())));
                }
            }
        }
        back
    }
}

/// Whether a planned delete names its items by `externalId` (a plan keeps the
/// request, not the flag).
fn locate_external(unit: &Unit) -> Locator {
    let external = unit
        .request
        .body
        .as_ref()
        .is_some_and(|b| String::from_utf8_lossy(b).contains("\"externalId\""));
    Locator {
        external,
        ..Locator::default()
    }
}

/// What a batch's result says of its items.
fn judge_batch(_ids: &[String], resp: &Response) -> ReadVerdict {
    let body = match read(resp) {
        Ok(body) => body,
        Err(e) if e.kind == ErrorKind::Rejected && resp.status != 404 => {
            return ReadVerdict::All(Settled::not_applied(format!(
                "the batch result is ERROR: {}",
                e.message
            )));
        }
        Err(e) => return ReadVerdict::Failed(e),
    };
    let result = result_of(&body);
    let batch = result
        .get("batchId")
        .and_then(Value::as_str)
        .map_or_else(String::new, |b| format!(" {b}"));
    if is_pending(&result) {
        return ReadVerdict::All(Settled::Unknown(format!("batch{batch} is still pending")));
    }
    ReadVerdict::All(match final_outcome(result, resp.status) {
        Ok(_) => Settled::Applied(format!("batch{batch} finished")),
        Err(e) => Settled::not_applied(format!("batch{batch} failed: {}", e.message)),
    })
}

/// The certifications search for one `originId`.
fn search(target: &Target, id: String) -> Read {
    let body = json!({
        "locale": "en",
        "pageNumber": 1,
        "pageSize": 100,
        "searchCriteria": [{ "name": "ORIGINID", "value": id }],
    });
    Read {
        request: target
            .request(Method::Post, format!("{}{SEARCH}", target.base))
            .json(&body),
        ids: vec![id],
        judge: Arc::new(|ids: &[String], resp: &Response| {
            let body = match read(resp) {
                Ok(body) => body,
                Err(e) => return ReadVerdict::Failed(e),
            };
            let id = ids.first().map_or("", String::as_str);
            ReadVerdict::All(match found(&result_of(&body), id) {
                Some(true) => Settled::not_applied("the certification is still there"),
                Some(false) => Settled::Applied("no certification with this originId".into()),
                None => Settled::Unknown("Origin's search answer lists no certifications".into()),
            })
        }),
    }
}

/// Whether a search result lists the certification `id`: `Some(true)` when an
/// entry has it as `originId`, `Some(false)` when the result lists certifications
/// (or counts zero) without it, `None` when it is not a list at all. The list is
/// taken wherever the result holds it (`certifications`, `items`, `content`,
/// `data`, `results`, or the result itself), as the API's variants put it.
fn found(result: &Value, id: &str) -> Option<bool> {
    let has = |entry: &Value| {
        entry.as_object().is_some_and(|o| {
            o.iter().any(|(k, v)| {
                k.eq_ignore_ascii_case("originId")
                    && v.as_str().is_some_and(|s| s.eq_ignore_ascii_case(id))
            })
        })
    };
    let list = match result {
        Value::Array(list) => Some(list),
        Value::Object(o) => ["certifications", "items", "content", "data", "results"]
            .iter()
            .find_map(|k| o.get(*k).and_then(Value::as_array)),
        _ => None,
    };
    if let Some(list) = list {
        return Some(list.iter().any(has));
    }
    let count = ["totalCount", "totalElements", "total", "count"]
        .iter()
        .find_map(|k| result.get(*k).and_then(Value::as_u64));
    (count == Some(0)).then_some(false)
}

/// Judges delete answers and, with `--wait`, the answers of each batch's callback.
///
/// The engine hands a poll's answer over with the poll as the unit's request (a
/// GET of the callback), so the two are told apart without any state kept here.
fn judge_delete(unit: &Unit, resp: &Response, judging: &Judging<'_>) -> Verdict {
    let target = Target {
        base: judging.account.base.clone(),
        token: judging.account.secret.clone(),
    };
    if unit.request.method == Method::Get {
        judge_poll(&target, &unit.request.url, resp)
    } else {
        let asynchronous = unit.request.url.contains(ASYNC_DELETE);
        judge_post(&target, asynchronous, judging.follow, resp)
    }
}

/// The answer to a delete POST.
fn judge_post(target: &Target, asynchronous: bool, wait: bool, resp: &Response) -> Verdict {
    let body = match read(resp) {
        Ok(body) => body,
        Err(e) => return Verdict::All(Err(e)),
    };
    let result = result_of(&body);
    if !asynchronous {
        return Verdict::All(Ok(non_null(result)));
    }
    let Some(callback) = result.get("poolingCallback").and_then(Value::as_str) else {
        return Verdict::All(Err(ItemError::new(
            ErrorKind::InvalidResponse,
            "Origin accepted the async delete but its answer has no result.poolingCallback to follow",
        )
        .status(resp.status)));
    };
    match target.poll_request(callback) {
        // Origin queued the delete: that it cannot be followed leaves its outcome open.
        Err(e) => Verdict::All(Err(e.status(resp.status).maybe_applied())),
        Ok(poll) if wait => Verdict::Pending(poll),
        Ok(_) => Verdict::All(Ok(Some(Reply::from(
            json!({ "poolingCallback": callback }),
        )))),
    }
}

/// An answer of a pooling callback being waited on.
fn judge_poll(target: &Target, callback: &str, resp: &Response) -> Verdict {
    let body = match read(resp) {
        Ok(body) => body,
        Err(e) => return Verdict::All(Err(e)),
    };
    let result = result_of(&body);
    if is_pending(&result) {
        return match target.poll_request(callback) {
            Ok(poll) => Verdict::Pending(poll),
            Err(e) => Verdict::All(Err(e)),
        };
    }
    Verdict::All(final_outcome(result, resp.status))
}

/// Reads an Origin answer: its JSON body when `status.state` is `SUCCESS`, or the
/// item error it means (`ERROR` at any HTTP status, another failed status, a body
/// that is not the documented shape).
pub fn read(resp: &Response) -> Result<Value, ItemError> {
    let Some(body) = resp.json() else {
        let mut e = unreadable_error(resp.status, &resp.body);
        if resp.is_success() {
            e.kind = ErrorKind::InvalidResponse;
        }
        return Err(e);
    };
    let state = body
        .get("status")
        .and_then(|s| s.get("state"))
        .and_then(Value::as_str);
    match state {
        Some("ERROR") => Err(rejection(resp.status, &body)),
        _ if !resp.is_success() => Err(unreadable_error(resp.status, &resp.body)),
        Some("SUCCESS") => Ok(body),
        Some(other) => Err(ItemError::new(
            ErrorKind::InvalidResponse,
            format!("Origin answered with an unknown status.state `{other}`"),
        )
        .status(resp.status)),
        None => Err(ItemError::new(
            ErrorKind::InvalidResponse,
            "Origin answered without a status.state, so certctl cannot tell whether it worked",
        )
        .status(resp.status)),
    }
}

/// The `result` object of an answer (`null` when absent).
pub fn result_of(body: &Value) -> Value {
    body.get("result").cloned().unwrap_or(Value::Null)
}

/// Whether an async result is not final yet (`executionStatus` `PENDING`).
pub fn is_pending(result: &Value) -> bool {
    result
        .get("executionStatus")
        .and_then(Value::as_str)
        .is_some_and(|s| s.eq_ignore_ascii_case("PENDING"))
}

/// What a final async result means for its items: succeeded with the result as
/// their `response`, unless its `executionStatus` says the execution failed.
pub fn final_outcome(result: Value, status: u16) -> Result<Option<Reply>, ItemError> {
    let execution = result
        .get("executionStatus")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if ["ERROR", "FAILED", "FAILURE"]
        .iter()
        .any(|f| execution.eq_ignore_ascii_case(f))
    {
        let detail =
            crate::providers::adapter::find_message(&result, &["message", "result", "error"])
                .map_or_else(String::new, |m| format!(": {m}"));
        return Err(ItemError::new(
            ErrorKind::Rejected,
            format!("Origin reports the async delete as {execution}{detail}"),
        )
        .status(status));
    }
    Ok(non_null(result))
}

fn non_null(value: Value) -> Option<Reply> {
    Some(value).filter(|v| !v.is_null()).map(Reply::from)
}

/// The item error of an `ERROR` answer: the `CE0000N` part of `status.code` as the
/// code (`CE00002`, not authorized, is `auth`), the full code text and every entry of
/// `status.messages` as the message.
fn rejection(http_status: u16, body: &Value) -> ItemError {
    let status = body.get("status");
    let code_text = status
        .and_then(|s| s.get("code"))
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let messages: Vec<String> = status
        .and_then(|s| s.get("messages"))
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .map(|m| match m {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect()
        })
        .unwrap_or_default();
    let code = code_text.and_then(|t| {
        let head: String = t
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        (head.len() > 2 && head.starts_with("CE")).then_some(head)
    });
    let mut message = code_text
        .unwrap_or("Origin answered ERROR without a code")
        .to_string();
    if !messages.is_empty() {
        message.push_str(": ");
        message.push_str(&messages.join("; "));
    }
    let kind = if code.as_deref() == Some(NOT_AUTHORIZED) {
        ErrorKind::Auth
    } else {
        ErrorKind::Rejected
    };
    let e = ItemError::new(kind, message).status(http_status);
    match code {
        Some(c) => e.code(c),
        None => e,
    }
}

/// This adapter, as `check`, `apply` and `--plan-out` see it.
pub struct Api;

impl crate::providers::adapter::Adapter for Api {
    /// `certctl check`: the API documents no read-only request, so a GET of the root
    /// with the token only shows the host answers and does not refuse the token.
    fn probe(&self, at: &Endpoint<'_>) -> crate::providers::adapter::Probe {
        let target = Target {
            base: at.base.to_string(),
            token: at.secret.clone(),
        };
        crate::providers::adapter::Probe {
            request: target.request(Method::Get, format!("{}/", target.base)),
            verifies_credential: false,
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
            base: "https://origin.build/equinox".into(),
            token: Secret::new("tok"),
        }
    }

    fn ids(list: &[&str]) -> Ids {
        test_support::ids(list, crate::input::any_id)
    }

    fn opts(asynchronous: bool, wait: bool) -> DeleteOptions {
        DeleteOptions {
            external: false,
            asynchronous,
            wait: wait.then_some(Duration::from_secs(60)),
            batch_size: 100,
        }
    }

    fn first_unit(mut op: Operation) -> Unit {
        op.units.next().unwrap().unwrap().unit()
    }

    const ACCEPTED: &str = r#"{"status":{"state":"SUCCESS"},"result":{"poolingCallback":"https://origin.build/equinox/connect/v1/result/certifications_delete/batch/b1"}}"#;
    const PENDING: &str =
        r#"{"status":{"state":"SUCCESS"},"result":{"executionStatus":"PENDING","batchId":"b1"}}"#;
    const DONE: &str =
        r#"{"status":{"state":"SUCCESS"},"result":{"executionStatus":"COMPLETED","batchId":"b1"}}"#;

    #[test]
    fn deletes_are_judged_sync_or_async_by_their_url() {
        // A plan keeps no --wait: its operation is built from the spec alone.
        let units = [opts(true, false), opts(false, false)]
            .map(|o| first_unit(delete(&target(), ids(&["o1"]), o)));
        let plan = Operation::new(
            &CERTIFICATIONS_DELETE,
            Account {
                base: target().base,
                secret: target().token,
            },
            std::iter::empty(),
        );
        match plan.judge(&units[0], &resp(200, ACCEPTED)) {
            Verdict::All(Ok(Some(reply))) => {
                assert!(reply.value().get("poolingCallback").is_some())
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            plan.judge(&units[1], &resp(200, DONE)),
            Verdict::All(Ok(_))
        ));
    }

    #[test]
    fn delete_bodies_follow_the_contract() {
        let unit = first_unit(delete(&target(), ids(&["a", "b"]), opts(false, false)));
        assert_eq!(unit.request.method, Method::Post);
        assert_eq!(
            unit.request.url,
            "https://origin.build/equinox/connect/v1/certifications/delete"
        );
        let body: Value = serde_json::from_slice(unit.request.body.as_ref().unwrap()).unwrap();
        assert_eq!(
            body,
            json!({"certifications": [{"originId": "a"}, {"originId": "b"}]})
        );
        assert_eq!(unit.request.headers[0].1.exposed(), "Bearer tok");

        let external = DeleteOptions {
            external: true,
            ..opts(true, false)
        };
        let unit = first_unit(delete(&target(), ids(&["x"]), external));
        assert!(
            unit.request
                .url
                .ends_with("/connect/v1/async/certifications/delete")
        );
        let body: Value = serde_json::from_slice(unit.request.body.as_ref().unwrap()).unwrap();
        assert_eq!(body, json!({"certifications": [{"externalId": "x"}]}));
    }

    #[test]
    fn ids_are_batched_and_the_delete_is_not_idempotent() {
        let list: Vec<String> = (0..250).map(|i| format!("c{i}")).collect();
        let refs: Vec<&str> = list.iter().map(String::as_str).collect();
        let op = delete(&target(), ids(&refs), opts(false, false));
        assert!(op.spec.irreversible);
        assert!(!op.spec.idempotent);
        assert_eq!(op.wait, None);
        assert_eq!(op.requests, Some(3));
        let sizes: Vec<usize> = op.units.map(|u| u.unwrap().unit().ids.len()).collect();
        assert_eq!(sizes, [100, 100, 50]);
    }

    #[test]
    fn errors_are_rejections_whatever_the_status() {
        let body = r#"{"status":{"state":"ERROR","code":"CE00001 - Connect request failed validation.","messages":["certifications[1] require one originId or externalId.","second"]}}"#;
        for status in [200, 400, 500] {
            let e = read(&resp(status, body)).unwrap_err();
            assert_eq!(e.kind, ErrorKind::Rejected);
            assert_eq!(e.code.as_deref(), Some("CE00001"));
            assert_eq!(e.http_status, Some(status));
            assert_eq!(
                e.message,
                "CE00001 - Connect request failed validation.: certifications[1] require one originId or externalId.; second"
            );
        }
        let auth = r#"{"status":{"state":"ERROR","code":"CE00002 - Not authorized"}}"#;
        let e = read(&resp(200, auth)).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Auth);
        assert_eq!(e.code.as_deref(), Some("CE00002"));
    }

    #[test]
    fn unreadable_answers_are_told_apart() {
        let e = read(&resp(200, r#"{"result":{}}"#)).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidResponse);
        let e = read(&resp(200, "not json")).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidResponse);
        let e = read(&resp(503, "<html>busy</html>")).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Transient);
        let e = read(&resp(404, r#"{"message":"nope"}"#)).unwrap_err();
        assert_eq!(e.kind, ErrorKind::NotFound);
    }

    #[test]
    fn async_alone_reports_the_callback() {
        let op = delete(&target(), ids(&["a"]), opts(true, false));
        assert!(op.notes.is_empty());
        let mut op = op;
        let unit = op.units.next().unwrap().unwrap().unit();
        let interpret = |unit: &Unit, resp: &Response| op.judge(unit, resp);
        match interpret(&unit, &resp(200, ACCEPTED)) {
            Verdict::All(Ok(Some(v))) => assert_eq!(
                *v.value(),
                json!({"poolingCallback": "https://origin.build/equinox/connect/v1/result/certifications_delete/batch/b1"})
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn waiting_polls_the_callback_until_final() {
        let op = delete(&target(), ids(&["a"]), opts(true, true));
        assert_eq!(op.wait, Some(Duration::from_secs(60)));
        assert!(
            op.notes.is_empty(),
            "a pending batch is said when there is one"
        );
        let mut op = op;
        let mut unit = op.units.next().unwrap().unwrap().unit();
        let interpret = |unit: &Unit, resp: &Response| op.judge(unit, resp);
        let callback =
            "https://origin.build/equinox/connect/v1/result/certifications_delete/batch/b1";
        for answer in [ACCEPTED, PENDING, PENDING] {
            match interpret(&unit, &resp(200, answer)) {
                Verdict::Pending(poll) => {
                    assert_eq!(poll.method, Method::Get);
                    assert_eq!(poll.url, callback);
                    assert_eq!(poll.headers[0].1.exposed(), "Bearer tok");
                    // The engine sends the poll next, as the unit's request.
                    unit.request = poll;
                }
                other => panic!("{other:?}"),
            }
        }
        match interpret(&unit, &resp(200, DONE)) {
            Verdict::All(Ok(Some(v))) => assert_eq!(v.value()["executionStatus"], "COMPLETED"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_failed_execution_is_a_rejection() {
        let e = final_outcome(
            json!({"executionStatus": "FAILED", "message": "locked"}),
            200,
        )
        .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Rejected);
        assert!(e.message.contains("locked"), "{}", e.message);
    }

    #[test]
    fn foreign_callbacks_are_refused() {
        let t = target();
        for bad in [
            "https://evil.example/equinox/connect/v1/result/x",
            "http://origin.build/equinox/connect/v1/result/x",
            "https://origin.build:8443/equinox/connect/v1/result/x",
            "not a url",
        ] {
            let e = t.poll_request(bad).unwrap_err();
            assert_eq!(e.kind, ErrorKind::Refused, "{bad}");
        }
        assert!(
            t.poll_request("https://ORIGIN.build:443/other/path")
                .is_ok()
        );
        let op = delete(&t, ids(&["a"]), opts(true, true));
        let mut op = op;
        let unit = op.units.next().unwrap().unwrap().unit();
        let interpret = |unit: &Unit, resp: &Response| op.judge(unit, resp);
        let foreign = r#"{"status":{"state":"SUCCESS"},"result":{"poolingCallback":"https://evil.example/cb"}}"#;
        match interpret(&unit, &resp(200, foreign)) {
            Verdict::All(Err(e)) => assert_eq!(e.kind, ErrorKind::Refused),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn batch_ids_are_checked() {
        assert_eq!(
            target().batch_url("1c8a06b6-45be"),
            "https://origin.build/equinox/connect/v1/result/certifications_delete/batch/1c8a06b6-45be"
        );
        assert!(check_batch_id("1c8a06b6-45be-4e68-9e2d-5c1f075e6ca2").is_ok());
        for bad in ["", "..", "a/b", "a b", "a?b"] {
            assert!(check_batch_id(bad).is_err(), "{bad}");
        }
    }
}
