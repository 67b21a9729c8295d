//! Sertifika Merkezi adapter: templates, users, issuing and revoking certificates.
//!
//! Every request carries `Authorization: <token>` (the WebAPI token as is). Users are
//! addressed by `userCode`, the lowercase hex MD5 of the trimmed, lowercased e-mail.
//! This module builds the read requests, checks IDs and e-mails, posts the rows of
//! an issuing CSV (read by [`issue_csv`]), and judges the answers strictly: only
//! the documented success (200 with the per-row `messageList` of an issue, the bare
//! strings of a revoke) is one, and any other 2xx is `invalid_response`. It does no
//! I/O: the caller reads files, the engine sends.

mod issue_csv;

pub use issue_csv::{Row, parse as parse_csv};

use std::collections::BTreeSet;
use std::fmt;

use md5::{Digest, Md5};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use std::sync::Arc;

use serde_json::{Value, json};

use crate::engine::reconcile::{Locator, Pending, Read, ReadBack, ReadVerdict, Reading, Settled};
use crate::engine::request::{Method, Request, Response};
use crate::engine::{Account, Operation, Spec, Step, Unit, Verdict};
use crate::error::{Error, ErrorKind, ItemError};
use crate::error::{kind_for_status, unreadable_error};
use crate::input::Ids;
use crate::providers::adapter::{Endpoint, batched, find_message, request_count, single};
use crate::registry::ProviderId;
use crate::report::Reply;
use crate::secret::Secret;

/// Where and as whom requests go.
#[derive(Debug, Clone)]
pub struct Target {
    /// Base URL without a trailing `/`.
    pub base: String,
    /// The WebAPI token, sent as the `Authorization` value with no scheme.
    pub token: Secret,
    /// The configured `company_id` (needed by the company-wide reads only).
    pub company: String,
}

impl Target {
    /// A request to `{base}/api/v1.0{path}` with the token.
    fn request(&self, method: Method, path: &str) -> Request {
        Request::new(method, format!("{}/api/v1.0{path}", self.base))
            .secret_header("authorization", self.token.clone())
    }

    /// The account requests go to, as the engine's judges see it.
    fn account(&self) -> Account {
        Account {
            base: self.base.clone(),
            secret: self.token.clone(),
        }
    }

    /// The company segment, encoded (the ID comes from a config file).
    fn company(&self) -> String {
        path_segment(&self.company)
    }
}

/// What a path segment keeps as is: RFC 3986's unreserved characters. Everything
/// else (space, `/`, `?`, `#`, `%`, non-ASCII as UTF-8 bytes) is percent-encoded.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `text` as one URL path segment, so that a value from a config file or the
/// command line can add no segment, query or fragment to the URL. The one encoder
/// of path segments: `check` builds its Sertifika probe with this module too.
pub fn path_segment(text: &str) -> String {
    utf8_percent_encode(text, SEGMENT).to_string()
}

/// A template ID: a GUID, checked before anything is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateId(String);

impl TemplateId {
    /// Checks the 8-4-4-4-12 hex form; the message names the bad value.
    pub fn parse(text: &str) -> Result<TemplateId, String> {
        let text = text.trim();
        let groups: Vec<&str> = text.split('-').collect();
        let lengths = [8, 4, 4, 4, 12];
        let ok = groups.len() == lengths.len()
            && groups
                .iter()
                .zip(lengths)
                .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()));
        if ok {
            Ok(TemplateId(text.to_string()))
        } else {
            Err(format!(
                "`{text}` is not a template ID: expected a GUID such as 64c9f080-2314-4f02-a43c-923d83e8e444"
            ))
        }
    }
}

impl fmt::Display for TemplateId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks that a trimmed e-mail looks like `local@domain` with no spaces inside.
pub fn check_email(email: &str) -> Result<(), String> {
    let plausible = match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !email.chars().any(char::is_whitespace)
        }
        None => false,
    };
    if plausible {
        Ok(())
    } else {
        Err(format!(
            "`{email}` is not an e-mail address (expected local@domain, no spaces)"
        ))
    }
}

/// Checks a `--user-code`: 32 hex digits.
pub fn check_user_code(code: &str) -> Result<(), String> {
    if is_user_code(code) {
        Ok(())
    } else {
        Err(format!(
            "`{code}` is not a user code: expected the 32 hex digits of an MD5"
        ))
    }
}

fn is_user_code(text: &str) -> bool {
    text.len() == 32 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Checks a revoke item: an e-mail, or a user code given with `--user-code`.
pub fn check_email_or_code(text: &str) -> Result<(), String> {
    if is_user_code(text) {
        Ok(())
    } else {
        check_email(text)
    }
}

/// The `userCode` of an e-mail: lowercase hex MD5 of it trimmed and lowercased.
pub fn user_code(email: &str) -> String {
    let digest = Md5::digest(email.trim().to_lowercase().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The user code an item stands for: itself when it is one, else its e-mail's.
fn code_of(item: &str) -> String {
    if is_user_code(item) {
        item.to_ascii_lowercase()
    } else {
        user_code(item)
    }
}

/// `templates list`: the company's templates.
pub fn templates_list(t: &Target) -> Request {
    t.request(
        Method::Get,
        &format!("/company/{}/certificate", t.company()),
    )
}

/// `templates show`: one template with its properties.
pub fn template_show(t: &Target, template: &TemplateId) -> Request {
    t.request(Method::Get, &format!("/certificate/{template}"))
}

/// `users list`: the company's users.
pub fn users_list(t: &Target) -> Request {
    t.request(Method::Get, &format!("/company/{}/user/", t.company()))
}

/// `users show`: one user of the company.
pub fn user_show(t: &Target, code: &str) -> Request {
    t.request(
        Method::Get,
        &format!("/company/{}/user/{code}", t.company()),
    )
}

/// `certificates list --email`: every certificate of a user.
pub fn user_certificates(t: &Target, code: &str) -> Request {
    t.request(Method::Get, &format!("/user/{code}/certificate"))
}

/// `certificates list --template`: every user holding a template.
pub fn template_users(t: &Target, template: &TemplateId) -> Request {
    t.request(Method::Get, &format!("/certificate/{template}/user"))
}

/// `certificates list --template --email`: one user's certificate of a template.
pub fn template_user(t: &Target, template: &TemplateId, code: &str) -> Request {
    t.request(Method::Get, &format!("/certificate/{template}/user/{code}"))
}

/// The provider's message in an error answer: a bare JSON string, a `Message`-like
/// field, or the `messageList`; else an excerpt chosen by [`unreadable_error`].
pub fn item_error(resp: &Response) -> ItemError {
    let fallback = unreadable_error(resp.status, &resp.body);
    let message = match resp.json() {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s),
        Some(v) => find_message(
            &v,
            &[
                "Message",
                "message",
                "ExceptionMessage",
                "error",
                "errorMessage",
            ],
        )
        .or_else(|| list_text(&v)),
        None => None,
    };
    match message {
        Some(message) => ItemError {
            message,
            ..fallback
        },
        None => fallback,
    }
}

/// The entries of a `messageList`, joined.
fn list_text(v: &Value) -> Option<String> {
    let list = v.get("messageList")?.as_array()?;
    let parts: Vec<&str> = list.iter().filter_map(Value::as_str).collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// The command-level error for a failed read: one sentence, the kind from the status.
pub fn read_error(what: &str, resp: &Response) -> Error {
    let e = item_error(resp);
    let error = Error::new(
        kind_for_status(resp.status),
        format!(
            "sertifika {what} failed (HTTP {}): {}",
            resp.status, e.message
        ),
    );
    match e.kind {
        ErrorKind::Auth => error.hint(
            "check the WebAPI token (token, token_file or CERTCTL_SERTIFIKA_TOKEN) under Ayarlar in Sertifika Merkezi",
        ),
        ErrorKind::NotFound => {
            error.hint("check the template ID, the e-mail or user code, and company_id")
        }
        _ => error,
    }
}

/// The property keys of a template as `templates show` returns it:
/// `certificateItem[0].Properties[].key`.
pub fn template_keys(template: &Value) -> Result<Vec<String>, String> {
    let item = template
        .get("certificateItem")
        .and_then(Value::as_array)
        .and_then(|items| items.first())
        .ok_or("the template has no `certificateItem[0]`")?;
    let Some(props) = item.get("Properties").or_else(|| item.get("properties")) else {
        return Ok(Vec::new());
    };
    let Some(props) = props.as_array() else {
        return Err("the template's `Properties` is not a list".into());
    };
    props
        .iter()
        .map(|p| {
            p.get("key")
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| "a template property has no `key`".to_string())
        })
        .collect()
}

/// `certificates issue`: the checked rows posted in batches; never retried once
/// a request may have reached the server, since a second POST issues twice.
pub fn issue(
    target: &Target,
    template: &TemplateId,
    rows: Vec<Row>,
    batch_size: usize,
) -> Operation {
    let count = rows.len();
    let preview = rows
        .iter()
        .take(crate::input::PREVIEW)
        .map(|r| r.email.clone())
        .collect();
    let size = batch_size.max(1);
    let account = target.account();
    let target = target.clone();
    let mut rows = rows.into_iter();
    let units = std::iter::from_fn(move || {
        let batch: Vec<Row> = rows.by_ref().take(size).collect();
        if batch.is_empty() {
            return None;
        }
        let ids = batch.iter().map(|r| r.email.clone()).collect();
        let items: Vec<Value> = batch.into_iter().map(|r| r.item).collect();
        let request = target
            .request(Method::Post, "/certificate/")
            .json(&json!({ "certificateItem": items }));
        Some(Ok(Step::Send(Unit { ids, request })))
    });
    let mut op = Operation::new(&CERTIFICATES_ISSUE, account, units);
    op.locator.template = Some(template.to_string());
    op.sized(Some(count), request_count(Some(count), size), preview)
}

/// Issuing is never sent twice once it may have arrived: a second POST issues
/// twice.
pub const CERTIFICATES_ISSUE: Spec = Spec {
    provider: ProviderId::Sertifika,
    name: "certificates.issue",
    irreversible: false,
    idempotent: false,
    judge: |unit, resp, _| judge_issue(unit.ids.len(), resp),
    read_back: Some(read_back),
    locate: locate_template,
    follow: None,
};

/// Revoking is safe to repeat and asks for confirmation. A revoke of every holder
/// (`--all`, a DELETE ending in `/user`) and of one user share the operation but
/// not their answers: the URL tells which it is.
pub const CERTIFICATES_REVOKE: Spec = Spec {
    provider: ProviderId::Sertifika,
    name: "certificates.revoke",
    irreversible: true,
    idempotent: true,
    judge: |unit, resp, _| {
        if unit.request.url.ends_with("/user") {
            Verdict::All(judge_revoke_all(resp))
        } else {
            Verdict::All(judge_revoke(resp))
        }
    },
    read_back: None,
    locate: |_| Locator::default(),
    follow: None,
};

/// Every state-changing Sertifika operation.
pub const SPECS: &[&Spec] = &[&CERTIFICATES_ISSUE, &CERTIFICATES_REVOKE];

/// The read-back of issued rows whose outcome is unknown (README, "When a run is
/// cut or its outcome is unknown"): one `GET /certificate/TEMPLATE_ID/user` per
/// template lists who holds it; a row is applied when a user with its e-mail
/// (trimmed, lowercased) is listed, not applied otherwise. Revoking is safe to
/// send twice and needs no read.
fn read_back(account: &Account, items: Vec<Pending>, _: Reading) -> ReadBack {
    let target = Target {
        base: account.base.clone(),
        token: account.secret.clone(),
        company: String::new(),
    };
    {
        let mut back = ReadBack::default();
        let mut templates: Vec<(TemplateId, Vec<String>)> = Vec::new();
        for p in items {
            match p.locator.template.as_deref().map(TemplateId::parse) {
                Some(Ok(t)) => match templates.iter_mut().find(|(k, _)| *k == t) {
                    Some((_, ids)) => ids.push(p.id),
                    None => templates.push((t, vec![p.id])),
                },
                _ => back.settled.push((
                    p.id,
                    Settled::Unknown(
                        "the journal does not say which template it was issued from".into(),
                    ),
                )),
            }
        }
        for (template, ids) in templates {
            let name = template.to_string();
            back.reads.push(Read {
                ids,
                request: template_users(&target, &template),
                judge: Arc::new(move |ids: &[String], resp: &Response| {
                    judge_holders(&name, ids, resp)
                }),
            });
        }
        back
    }
}

/// Which of `ids` (e-mails) the template's holder list names.
fn judge_holders(template: &str, ids: &[String], resp: &Response) -> ReadVerdict {
    if !resp.is_success() {
        return ReadVerdict::Failed(item_error(resp));
    }
    let Some(Value::Array(list)) = resp.json() else {
        return ReadVerdict::Failed(ItemError::new(
            ErrorKind::InvalidResponse,
            "the template's user list is not a JSON array",
        ));
    };
    let holders: std::collections::HashSet<String> = list
        .iter()
        .filter_map(|u| u.get("email").and_then(Value::as_str))
        .map(|e| e.trim().to_lowercase())
        .collect();
    ReadVerdict::Each(
        ids.iter()
            .map(|id| {
                if holders.contains(&id.trim().to_lowercase()) {
                    Settled::Applied(format!("the user holds template {template}"))
                } else {
                    Settled::not_applied(format!(
                        "no user with this e-mail holds template {template}"
                    ))
                }
            })
            .collect(),
    )
}

/// The template of a planned issue request, from its first row.
fn locate_template(unit: &Unit) -> Locator {
    let template = unit
        .request
        .body
        .as_ref()
        .and_then(|b| serde_json::from_slice::<Value>(b).ok())
        .and_then(|v| v["certificateItem"][0]["id"].as_str().map(str::to_string));
    Locator {
        template,
        ..Locator::default()
    }
}

/// Reads an issue answer: one `messageList` entry per row plus the two count lines.
fn judge_issue(rows: usize, resp: &Response) -> Verdict {
    if !resp.is_success() {
        return Verdict::All(Err(item_error(resp)));
    }
    let invalid = |why: String| {
        Verdict::All(Err(ItemError::new(
            ErrorKind::InvalidResponse,
            format!("the issue answer cannot be read ({why}); check the certificates with `certctl sertifika certificates list --template ID` before sending again"),
        )
        .status(resp.status)))
    };
    if resp.status != 200 {
        return invalid(format!(
            "HTTP {} instead of the documented 200",
            resp.status
        ));
    }
    let Some(list) = resp
        .json()
        .and_then(|v| v.get("messageList").and_then(Value::as_array).cloned())
    else {
        return invalid(format!("HTTP {} without a `messageList`", resp.status));
    };
    let mut entries = Vec::new();
    let (mut successes, mut errors) = (None, None);
    for entry in &list {
        let Some(text) = entry.as_str() else {
            return invalid(format!("a `messageList` entry is not a string: {entry}"));
        };
        match count_line(text) {
            Some(("success count", n)) => successes = Some(n),
            Some(("error count", n)) => errors = Some(n),
            _ => entries.push(text.to_string()),
        }
    }
    let (Some(successes), Some(errors)) = (successes, errors) else {
        return invalid("no `Success count` and `Error count` lines".into());
    };
    let listed = entries.iter().filter(|e| is_success(e)).count();
    if listed != successes || entries.len() - listed != errors || entries.len() != rows {
        return invalid(format!(
            "it counts {successes} successes and {errors} errors but lists {listed} success and {} other entries for {rows} rows",
            entries.len() - listed
        ));
    }
    // Entries are numbered from 1 within the request; match them by number when
    // every entry has a distinct one, by position otherwise.
    let numbers: BTreeSet<usize> = entries.iter().filter_map(|e| row_number(e)).collect();
    let by_number = numbers.len() == rows && (1..=rows).all(|n| numbers.contains(&n));
    let results = (1..=rows)
        .map(|n| {
            let entry = if by_number {
                entries.iter().find(|e| row_number(e) == Some(n))
            } else {
                entries.get(n - 1)
            };
            match entry {
                Some(e) if is_success(e) => Ok(Some(Reply::from(Value::String(e.clone())))),
                Some(e) => Err(ItemError::new(ErrorKind::Rejected, e.clone()).status(resp.status)),
                None => Err(ItemError::new(
                    ErrorKind::InvalidResponse,
                    "the answer has no entry for this row",
                )
                .status(resp.status)),
            }
        })
        .collect();
    Verdict::Each(results)
}

/// `Success count :5` → ("success count", 5).
fn count_line(text: &str) -> Option<(&'static str, usize)> {
    let (label, n) = text.split_once(':')?;
    let label = match label.trim().to_lowercase().as_str() {
        "success count" => "success count",
        "error count" => "error count",
        _ => return None,
    };
    Some((label, n.trim().parse().ok()?))
}

/// The `N` of an entry starting `N-`.
fn row_number(entry: &str) -> Option<usize> {
    entry.split_once('-')?.0.trim().parse().ok()
}

/// Whether an entry is `N-success-EMAIL`.
fn is_success(entry: &str) -> bool {
    let mut parts = entry.splitn(3, '-');
    let n = parts.next().unwrap_or("");
    let word = parts.next().unwrap_or("");
    !n.is_empty()
        && n.trim().bytes().all(|b| b.is_ascii_digit())
        && word.trim().eq_ignore_ascii_case("success")
}

/// `certificates revoke --template ID EMAIL...`: one DELETE per user; the item is
/// the e-mail (or user code) as given.
pub fn revoke(target: &Target, template: &TemplateId, ids: Ids) -> Operation {
    let (count, preview) = (ids.count, ids.preview.clone());
    let account = target.account();
    let target = target.clone();
    let template = template.clone();
    let units = batched(ids, 1, move |items| {
        let code = items.first().map(|i| code_of(i)).unwrap_or_default();
        target.request(
            Method::Delete,
            &format!("/certificate/{template}/user/{code}"),
        )
    });
    Operation::new(&CERTIFICATES_REVOKE, account, units).sized(count, count, preview)
}

/// A single revoke answers 200 with a bare string: `userCode : 'HEX' is deleted`
/// is success, `userCode : 'HEX' is undefined or is deleted` means there was nothing
/// to revoke (not found). Any other 2xx is `invalid_response`: certctl cannot tell
/// what happened.
fn judge_revoke(resp: &Response) -> Result<Option<Reply>, ItemError> {
    if !resp.is_success() {
        return Err(item_error(resp));
    }
    let text = match resp.json() {
        Some(Value::String(s)) => s,
        _ => String::from_utf8_lossy(&resp.body).trim().to_string(),
    };
    let invalid = |why: &str| {
        let excerpt: String = text.chars().take(120).collect();
        Err(ItemError::new(
            ErrorKind::InvalidResponse,
            format!(
                "the revoke answer (HTTP {}) {why}, not the documented `userCode : 'HEX' is deleted`: `{excerpt}`",
                resp.status
            ),
        )
        .status(resp.status))
    };
    if resp.status != 200 {
        return invalid("has an undocumented status");
    }
    match revoke_answer(&text) {
        Some(RevokeAnswer::Deleted) => Ok(Some(Reply::from(Value::String(text)))),
        Some(RevokeAnswer::Undefined) => {
            Err(ItemError::new(ErrorKind::NotFound, text).status(resp.status))
        }
        None => invalid("is something else"),
    }
}

/// The two documented answers to the revoke of one user.
#[derive(Debug, PartialEq)]
enum RevokeAnswer {
    /// `userCode : 'HEX' is deleted`.
    Deleted,
    /// `userCode : 'HEX' is undefined or is deleted`: nothing to revoke.
    Undefined,
}

/// Reads `userCode : 'HEX' is deleted` or `... is undefined or is deleted`, with
/// any spacing around the colon; anything else is none of them.
fn revoke_answer(text: &str) -> Option<RevokeAnswer> {
    let rest = text.trim().strip_prefix("userCode")?.trim_start();
    let rest = rest.strip_prefix(':')?.trim_start().strip_prefix('\'')?;
    let (code, rest) = rest.split_once('\'')?;
    if code.is_empty() || !code.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    match rest.trim() {
        "is deleted" => Some(RevokeAnswer::Deleted),
        "is undefined or is deleted" => Some(RevokeAnswer::Undefined),
        _ => None,
    }
}

/// `certificates revoke --template ID --all`: one DELETE; the item is the template.
pub fn revoke_all(target: &Target, template: &TemplateId) -> Operation {
    let request = target.request(Method::Delete, &format!("/certificate/{template}/user"));
    single(
        &CERTIFICATES_REVOKE,
        target.account(),
        template.to_string(),
        request,
    )
}

/// `--all` answers 200 with `{"status":"OK","messageList":[...]}` (one entry per
/// revoked user): the answer is the item's response. Another `status` is a
/// rejection; any other 2xx is `invalid_response`.
fn judge_revoke_all(resp: &Response) -> Result<Option<Reply>, ItemError> {
    if !resp.is_success() {
        return Err(item_error(resp));
    }
    let invalid = |why: &str| {
        Err(ItemError::new(
            ErrorKind::InvalidResponse,
            format!(
                "the revoke answer (HTTP {}) {why}, not the documented {{\"status\":\"OK\",\"messageList\":[...]}}",
                resp.status
            ),
        )
        .status(resp.status))
    };
    if resp.status != 200 {
        return invalid("has an undocumented status");
    }
    let Some(v @ Value::Object(_)) = resp.json() else {
        return invalid("is not a JSON object");
    };
    let listed = v
        .get("messageList")
        .and_then(Value::as_array)
        .is_some_and(|l| l.iter().all(Value::is_string));
    match v.get("status").and_then(Value::as_str) {
        Some(s) if s.eq_ignore_ascii_case("ok") && listed => Ok(Some(Reply::from(v))),
        Some(s) if s.eq_ignore_ascii_case("ok") => invalid("has no `messageList` of strings"),
        Some(s) => Err(ItemError::new(
            ErrorKind::Rejected,
            list_text(&v).unwrap_or_else(|| format!("status {s}")),
        )
        .status(resp.status)),
        None => invalid("has no `status`"),
    }
}

/// This adapter, as `check`, `apply` and `--plan-out` see it.
pub struct Api;

impl crate::providers::adapter::Adapter for Api {
    /// `certctl check`: the company's templates list, the read-only request that the
    /// token and `company_id` are accepted.
    fn probe(&self, at: &Endpoint<'_>) -> crate::providers::adapter::Probe {
        let target = Target {
            base: at.base.to_string(),
            token: at.secret.clone(),
            company: (at.extra)("company_id"),
        };
        crate::providers::adapter::Probe {
            request: templates_list(&target),
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
    use crate::providers::test_support::resp;

    const TID: &str = "64c9f080-2314-4f02-a43c-923d83e8e444";

    fn target() -> Target {
        Target {
            base: "https://sertifikalarim.com".into(),
            token: Secret::new("tok"),
            company: "c1".into(),
        }
    }

    fn tid() -> TemplateId {
        TemplateId::parse(TID).unwrap()
    }

    /// Issuing creates certificates each time it is sent; a revoke of a revoked
    /// certificate changes nothing.
    #[test]
    fn issuing_is_not_safe_to_send_twice_and_revoking_is() {
        let row = Row {
            email: "a@b.c".into(),
            item: serde_json::json!({"Email": "a@b.c"}),
        };
        let op = issue(&target(), &tid(), vec![row], 50);
        assert!(!op.spec.idempotent && !op.spec.irreversible);
        let ids = crate::providers::test_support::ids(&["a@b.c"], check_email_or_code);
        let op = revoke(&target(), &tid(), ids);
        assert!(op.spec.idempotent && op.spec.irreversible);
        let op = revoke_all(&target(), &tid());
        assert!(op.spec.idempotent && op.spec.irreversible);
    }

    #[test]
    fn a_revoke_of_all_holders_is_told_by_its_url() {
        let mut all = revoke_all(&target(), &tid());
        let unit = all.units.next().unwrap().unwrap().unit();
        let answer = resp(200, r#"{"status":"OK","messageList":["a"]}"#);
        assert!(matches!(
            all.judge(&unit, &answer),
            Verdict::All(Ok(Some(_)))
        ));
        let ids = crate::providers::test_support::ids(&["a@b.c"], check_email_or_code);
        let mut one = revoke(&target(), &tid(), ids);
        let unit = one.units.next().unwrap().unwrap().unit();
        let answer = resp(200, r#""userCode : '0cba00ca' is deleted""#);
        assert!(matches!(
            one.judge(&unit, &answer),
            Verdict::All(Ok(Some(_)))
        ));
    }

    #[test]
    fn user_codes_are_md5_of_the_normalised_email() {
        // python3: hashlib.md5(b"jane.doe@example.com").hexdigest()
        assert_eq!(
            user_code("  Jane.DOE@Example.com "),
            "0cba00ca3da1b283a57287bcceb17e35"
        );
        assert_eq!(
            code_of("0CBA00CA3DA1B283A57287BCCEB17E35"),
            user_code("jane.doe@example.com")
        );
    }

    #[test]
    fn ids_and_emails_are_checked() {
        assert!(TemplateId::parse(TID).is_ok());
        for bad in [
            "",
            "64c9f080",
            "64c9f080-2314-4f02-a43c-923d83e8e44g",
            "64c9f0802314-4f02-a43c-923d83e8e444-",
        ] {
            assert!(TemplateId::parse(bad).unwrap_err().contains('`'), "{bad}");
        }
        assert!(check_email("a@b").is_ok());
        for bad in ["a", "@b", "a@", "a b@c", "a@b@c"] {
            assert!(check_email(bad).is_err(), "{bad}");
        }
        assert!(check_user_code("0cba00ca3da1b283a57287bcceb17e35").is_ok());
        assert!(check_user_code("0cba00ca3da1b283a57287bcceb17e3").is_err());
    }

    #[test]
    fn read_paths_follow_the_contract() {
        let t = target();
        let base = "https://sertifikalarim.com/api/v1.0";
        assert_eq!(
            templates_list(&t).url,
            format!("{base}/company/c1/certificate")
        );
        assert_eq!(users_list(&t).url, format!("{base}/company/c1/user/"));
        assert_eq!(
            user_show(&t, "ab").url,
            format!("{base}/company/c1/user/ab")
        );
        assert_eq!(
            user_certificates(&t, "ab").url,
            format!("{base}/user/ab/certificate")
        );
        assert_eq!(
            template_users(&t, &tid()).url,
            format!("{base}/certificate/{TID}/user")
        );
        assert_eq!(
            template_user(&t, &tid(), "ab").url,
            format!("{base}/certificate/{TID}/user/ab")
        );
        let req = template_show(&t, &tid());
        assert_eq!(req.url, format!("{base}/certificate/{TID}"));
        assert_eq!(req.headers[0].0, "authorization");
        assert_eq!(req.headers[0].1.exposed(), "tok");
    }

    #[test]
    fn path_segments_encode_what_would_change_the_url() {
        assert_eq!(path_segment("a b/c?d#e%f"), "a%20b%2Fc%3Fd%23e%25f");
        assert_eq!(path_segment("şirket"), "%C5%9Firket");
        assert_eq!(path_segment("Acme-1.0_x~"), "Acme-1.0_x~");
        assert_eq!(path_segment("a+b&c=d"), "a%2Bb%26c%3Dd");
        let t = Target {
            company: "my co/1?x".into(),
            ..target()
        };
        assert_eq!(
            templates_list(&t).url,
            "https://sertifikalarim.com/api/v1.0/company/my%20co%2F1%3Fx/certificate"
        );
    }

    #[test]
    fn template_keys_are_read() {
        let v = json!({"certificateItem": [{"Properties": [{"key": "a", "value": "t"}, {"key": "b"}]}]});
        assert_eq!(template_keys(&v).unwrap(), ["a", "b"]);
        assert!(template_keys(&json!([])).is_err());
    }

    #[test]
    fn issue_answers_are_read_per_row() {
        let ok = r#"{"status":"OK","messageList":["1-success-a@b.c","2-error-b@c.d-Email invalid","Success count :1","Error count :1"]}"#;
        match judge_issue(2, &resp(200, ok)) {
            Verdict::Each(r) => {
                assert!(r[0].is_ok());
                let e = r[1].as_ref().unwrap_err();
                assert_eq!(e.kind, ErrorKind::Rejected);
                assert_eq!(e.message, "2-error-b@c.d-Email invalid");
            }
            other => panic!("{other:?}"),
        }
        let wrong = r#"{"messageList":["1-success-a@b.c","Success count :2","Error count :0"]}"#;
        match judge_issue(1, &resp(200, wrong)) {
            Verdict::All(Err(e)) => assert_eq!(e.kind, ErrorKind::InvalidResponse),
            other => panic!("{other:?}"),
        }
        match judge_issue(
            1,
            &resp(401, r#"{"Message":"Authorization has been denied"}"#),
        ) {
            Verdict::All(Err(e)) => {
                assert_eq!(e.kind, ErrorKind::Auth);
                assert_eq!(e.message, "Authorization has been denied");
            }
            other => panic!("{other:?}"),
        }
    }

    /// A recorded answer from `fixtures/sertifika/`.
    fn recorded(name: &str) -> String {
        let path = format!("{}/fixtures/sertifika/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn only_a_200_with_the_message_list_is_an_issue_answer() {
        let ok = recorded("issue_all_success.json");
        assert!(matches!(judge_issue(3, &resp(200, &ok)), Verdict::Each(_)));
        for (status, body) in [
            (201, ok.as_str()),
            (204, ""),
            (200, ""),
            (200, "<html>ok</html>"),
            (200, "[]"),
            (200, r#"{"status":"OK"}"#),
        ] {
            match judge_issue(3, &resp(status, body)) {
                Verdict::All(Err(e)) => {
                    assert_eq!(e.kind, ErrorKind::InvalidResponse, "{status} {body}");
                    assert_eq!(e.http_status, Some(status), "{status} {body}");
                }
                other => panic!("{status} {body}: {other:?}"),
            }
        }
    }

    #[test]
    fn only_the_documented_strings_are_revoke_answers() {
        let deleted = recorded("revoke_deleted.json");
        assert!(judge_revoke(&resp(200, &deleted)).unwrap().is_some());
        let undefined = judge_revoke(&resp(200, &recorded("revoke_undefined.json"))).unwrap_err();
        assert_eq!(undefined.kind, ErrorKind::NotFound);
        assert_eq!(undefined.http_status, Some(200));
        // The bare text, unquoted, and other spacing read the same.
        assert!(judge_revoke(&resp(200, "userCode:'ab12' is deleted")).is_ok());
        for (status, body) in [
            (204, ""),
            (201, deleted.as_str()),
            (200, ""),
            (200, "{}"),
            (200, "\"OK\""),
            (200, "<html>deleted</html>"),
            (200, "\"userCode : 'ab' is deleted, and more\""),
            (200, "\"userCode : 'xyz' is deleted\""),
            (200, "\"email : 'a@b.c' is deleted\""),
        ] {
            let e = judge_revoke(&resp(status, body)).unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidResponse, "{status} {body}");
            assert_eq!(e.http_status, Some(status), "{status} {body}");
        }
    }

    #[test]
    fn only_a_200_with_status_ok_and_its_list_revokes_all() {
        let all = recorded("revoke_all.json");
        let reply = judge_revoke_all(&resp(200, &all)).unwrap().unwrap();
        assert_eq!(
            reply.value()["messageList"].as_array().map(Vec::len),
            Some(2)
        );
        let refused = judge_revoke_all(&resp(200, r#"{"status":"ERROR","messageList":["no"]}"#));
        assert_eq!(refused.unwrap_err().kind, ErrorKind::Rejected);
        for (status, body) in [
            (204, ""),
            (202, all.as_str()),
            (200, ""),
            (200, "[]"),
            (200, r#"{"status":"OK"}"#),
            (200, r#"{"status":"OK","messageList":[1]}"#),
            (200, r#"{"messageList":[]}"#),
        ] {
            let e = judge_revoke_all(&resp(status, body)).unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidResponse, "{status} {body}");
            assert_eq!(e.http_status, Some(status), "{status} {body}");
        }
    }

    #[test]
    fn revoke_answers_are_read() {
        let deleted = judge_revoke(&resp(200, r#""userCode : 'ab' is deleted""#));
        assert!(deleted.is_ok());
        let missing = judge_revoke(&resp(
            200,
            r#""userCode : 'ab' is undefined or is deleted""#,
        ))
        .unwrap_err();
        assert_eq!(missing.kind, ErrorKind::NotFound);
        assert_eq!(
            judge_revoke(&resp(200, "{}")).unwrap_err().kind,
            ErrorKind::InvalidResponse
        );
        assert!(judge_revoke_all(&resp(200, r#"{"status":"OK","messageList":[]}"#)).is_ok());
        assert_eq!(
            judge_revoke_all(&resp(200, "\"x\"")).unwrap_err().kind,
            ErrorKind::InvalidResponse
        );
    }
}
