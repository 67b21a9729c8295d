//! Sertifika Merkezi adapter: templates, users, issuing and revoking certificates.
//!
//! Every request carries `Authorization: <token>` (the WebAPI token as is). Users are
//! addressed by `userCode`, the lowercase hex MD5 of the trimmed, lowercased e-mail.
//! This module builds the read requests, checks IDs and e-mails, turns an issuing CSV
//! into request bodies (refusing a bad file with every mistake listed), and judges
//! the answers: the per-row `messageList` of an issue, the bare strings of a revoke.
//! It does no I/O: the caller reads files, the engine sends.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use md5::{Digest, Md5};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Map, Number, Value, json};

use crate::engine::request::{Method, Request, Response};
use crate::engine::{Operation, Unit, Verdict};
use crate::error::{Error, ErrorKind, ItemError};
use crate::input::Ids;
use crate::output::Reply;
use crate::providers::{
    ProviderId, batched, find_message, kind_for_status, operation, request_count, single,
    unreadable_error,
};
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

/// One row of an issuing CSV, checked, as the API wants it.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The recipient's e-mail (trimmed): the item ID in the report.
    pub email: String,
    /// The `certificateItem` object for this row.
    pub item: Value,
}

/// What the fixed columns of a CSV are called.
const REQUIRED: [&str; 3] = ["name", "surname", "email"];
const OPTIONAL: [&str; 4] = ["hour", "point", "educator", "tags"];

/// Where each column of the CSV goes.
enum Column {
    Fixed(&'static str),
    Prop(String),
}

/// Reads an issuing CSV and checks it, against the template's property keys when
/// `keys` is given. Every mistake is collected: a bad file is refused with all of
/// them listed, one per line, so it can be fixed in one go.
pub fn parse_rows(
    data: impl std::io::Read,
    template: &TemplateId,
    keys: Option<&[String]>,
) -> Result<Vec<Row>, Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(data);
    let mut mistakes = Vec::new();
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => return Err(vec![format!("cannot read the header row: {e}")]),
    };
    let mut columns = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, raw) in headers.iter().enumerate() {
        let name = raw.trim_start_matches('\u{feff}').trim();
        let lower = name.to_lowercase();
        let prop = name
            .get(..5)
            .filter(|p| p.eq_ignore_ascii_case("prop:"))
            .map(|_| name[5..].trim());
        let column = if let Some(key) = prop {
            if key.is_empty() {
                mistakes.push(format!("column {}: `{name}` names no property", i + 1));
            }
            Column::Prop(key.to_string())
        } else if let Some(fixed) = REQUIRED.iter().chain(&OPTIONAL).find(|c| **c == lower) {
            Column::Fixed(fixed)
        } else {
            mistakes.push(format!(
                "column {}: `{name}` is not a known column (name, surname, email, hour, point, educator, tags, prop:KEY)",
                i + 1
            ));
            Column::Fixed("")
        };
        let label = match &column {
            Column::Fixed(f) => f.to_string(),
            Column::Prop(k) => format!("prop:{k}"),
        };
        if !label.is_empty() && !seen.insert(label.clone()) {
            mistakes.push(format!("column {}: `{label}` appears twice", i + 1));
        }
        columns.push(column);
    }
    for required in REQUIRED {
        if !seen.contains(required) {
            mistakes.push(format!("the required column `{required}` is missing"));
        }
    }
    if let Some(keys) = keys {
        let props: BTreeSet<&str> = columns
            .iter()
            .filter_map(|c| match c {
                Column::Prop(k) => Some(k.as_str()),
                Column::Fixed(_) => None,
            })
            .collect();
        for key in &props {
            if !keys.iter().any(|k| k == key) {
                mistakes.push(format!(
                    "column `prop:{key}`: template {template} has no property `{key}` (it has: {})",
                    if keys.is_empty() {
                        "none".to_string()
                    } else {
                        keys.join(", ")
                    }
                ));
            }
        }
        for key in keys {
            if !props.contains(key.as_str()) {
                mistakes.push(format!(
                    "column `prop:{key}` is missing: template {template} has that property"
                ));
            }
        }
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                mistakes.push(format!("cannot read a row: {e}"));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(str::is_empty) {
            continue;
        }
        match row(&record, &columns, template, line) {
            Ok(r) => rows.push(r),
            Err(mut m) => mistakes.append(&mut m),
        }
    }
    if rows.is_empty() && mistakes.is_empty() {
        mistakes.push("the file has no rows after its header".into());
    }
    if mistakes.is_empty() {
        Ok(rows)
    } else {
        Err(mistakes)
    }
}

/// One record turned into a `certificateItem`, or every mistake in it.
fn row(
    record: &csv::StringRecord,
    columns: &[Column],
    template: &TemplateId,
    line: u64,
) -> Result<Row, Vec<String>> {
    let mut mistakes = Vec::new();
    let position = |name: &str| {
        columns
            .iter()
            .position(|c| matches!(c, Column::Fixed(f) if *f == name))
    };
    let cell = |name: &str| -> &str { position(name).and_then(|i| record.get(i)).unwrap_or("") };
    let mut item = Map::new();
    item.insert("id".into(), Value::String(template.to_string()));
    for (field, column) in [("Name", "name"), ("Surname", "surname"), ("Email", "email")] {
        let value = cell(column);
        if value.is_empty() {
            // A missing column is reported once, with the header.
            if position(column).is_some() {
                mistakes.push(format!("line {line}: `{column}` is empty"));
            }
        } else if column == "email"
            && let Err(m) = check_email(value)
        {
            mistakes.push(format!("line {line}: `email` {m}"));
        }
        item.insert(field.into(), Value::String(value.to_string()));
    }
    for (field, column) in [("Hour", "hour"), ("Point", "point")] {
        let value = cell(column);
        if value.is_empty() {
            continue;
        }
        match number(value) {
            Some(n) => {
                item.insert(field.into(), Value::Number(n));
            }
            None => mistakes.push(format!(
                "line {line}: `{column}` is not a number: `{value}` (use a dot for decimals)"
            )),
        }
    }
    let educator = cell("educator");
    if !educator.is_empty() {
        item.insert("Educator".into(), Value::String(educator.to_string()));
    }
    let properties: Vec<Value> = columns
        .iter()
        .enumerate()
        .filter_map(|(i, c)| match c {
            Column::Prop(key) => Some(json!({"key": key, "value": record.get(i).unwrap_or("")})),
            Column::Fixed(_) => None,
        })
        .collect();
    item.insert("Properties".into(), Value::Array(properties));
    let tags: Vec<Value> = cell("tags")
        .split(';')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| json!({"value": t}))
        .collect();
    if !tags.is_empty() {
        item.insert("metaTag".into(), Value::Array(tags));
    }
    if mistakes.is_empty() {
        Ok(Row {
            email: cell("email").to_string(),
            item: Value::Object(item),
        })
    } else {
        Err(mistakes)
    }
}

/// A finite decimal number, kept an integer when written as one (`90`, not `90.0`).
fn number(text: &str) -> Option<Number> {
    if let Ok(i) = text.parse::<i64>() {
        return Some(Number::from(i));
    }
    if !text
        .bytes()
        .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b))
    {
        return None;
    }
    text.parse::<f64>().ok().and_then(Number::from_f64)
}

/// `certificates issue`: the checked rows posted in batches; never retried once
/// a request may have reached the server, since a second POST issues twice.
pub fn issue(target: &Target, rows: Vec<Row>, batch_size: usize) -> Operation {
    let count = rows.len();
    let preview = rows
        .iter()
        .take(crate::input::PREVIEW)
        .map(|r| r.email.clone())
        .collect();
    let size = batch_size.max(1);
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
        Some(Ok(Unit { ids, request }))
    });
    let op = operation(
        ProviderId::Sertifika,
        "certificates.issue",
        false,
        false,
        units,
        Arc::new(|unit: &Unit, resp: &Response| judge_issue(unit.ids.len(), resp)),
    );
    op.sized(Some(count), request_count(Some(count), size), preview)
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
    let Some(list) = resp
        .json()
        .and_then(|v| v.get("messageList").and_then(Value::as_array).cloned())
    else {
        return invalid("no `messageList`".into());
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
                )),
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
    let target = target.clone();
    let template = template.clone();
    let units = batched(ids, 1, move |items| {
        let code = items.first().map(|i| code_of(i)).unwrap_or_default();
        target.request(
            Method::Delete,
            &format!("/certificate/{template}/user/{code}"),
        )
    });
    operation(
        ProviderId::Sertifika,
        "certificates.revoke",
        true,
        true,
        units,
        Arc::new(|_unit: &Unit, resp: &Response| Verdict::All(judge_revoke(resp))),
    )
    .sized(count, count, preview)
}

/// A single revoke answers 200 with a bare string: `... is deleted` or
/// `... is undefined or is deleted` (nothing to revoke: not found).
fn judge_revoke(resp: &Response) -> Result<Option<Reply>, ItemError> {
    if !resp.is_success() {
        return Err(item_error(resp));
    }
    let text = match resp.json() {
        Some(Value::String(s)) => s,
        _ => String::from_utf8_lossy(&resp.body).trim().to_string(),
    };
    if text.contains("is undefined") {
        Err(ItemError::new(ErrorKind::NotFound, text).status(resp.status))
    } else if text.trim_end().ends_with("is deleted") {
        Ok(Some(Reply::from(Value::String(text))))
    } else {
        Err(ItemError::new(
            ErrorKind::InvalidResponse,
            format!("unexpected answer to a revoke: {text}"),
        )
        .status(resp.status))
    }
}

/// `certificates revoke --template ID --all`: one DELETE; the item is the template.
pub fn revoke_all(target: &Target, template: &TemplateId) -> Operation {
    let request = target.request(Method::Delete, &format!("/certificate/{template}/user"));
    single(
        ProviderId::Sertifika,
        "certificates.revoke",
        true,
        true,
        template.to_string(),
        request,
        Arc::new(|_unit: &Unit, resp: &Response| Verdict::All(judge_revoke_all(resp))),
    )
}

/// `--all` answers `{"status":"OK","messageList":[...]}`; the answer is the response.
fn judge_revoke_all(resp: &Response) -> Result<Option<Reply>, ItemError> {
    if !resp.is_success() {
        return Err(item_error(resp));
    }
    match resp.json() {
        Some(v @ Value::Object(_)) => match v.get("status").and_then(Value::as_str) {
            Some(s) if s.eq_ignore_ascii_case("ok") => Ok(Some(Reply::from(v))),
            Some(s) => Err(ItemError::new(
                ErrorKind::Rejected,
                list_text(&v).unwrap_or_else(|| format!("status {s}")),
            )
            .status(resp.status)),
            None => Err(
                ItemError::new(ErrorKind::InvalidResponse, "the answer has no `status`")
                    .status(resp.status),
            ),
        },
        _ => Err(ItemError::new(
            ErrorKind::InvalidResponse,
            "the answer is not the documented JSON object",
        )
        .status(resp.status)),
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
    fn csv_rows_become_certificate_items() {
        let csv = "name,surname,email,hour,point,educator,prop:k1,tags\nAyşe,Yılmaz, a@b.c ,1.5,90,Öğretmen,v1,x; y\nB,C,b@c.d,,,,v2,\n";
        let keys = vec!["k1".to_string()];
        let rows = parse_rows(csv.as_bytes(), &tid(), Some(&keys)).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].email, "a@b.c");
        assert_eq!(
            rows[0].item,
            json!({"id": TID, "Name": "Ayşe", "Surname": "Yılmaz", "Email": "a@b.c",
                   "Hour": 1.5, "Point": 90, "Educator": "Öğretmen",
                   "Properties": [{"key": "k1", "value": "v1"}],
                   "metaTag": [{"value": "x"}, {"value": "y"}]})
        );
        assert_eq!(
            rows[1].item,
            json!({"id": TID, "Name": "B", "Surname": "C", "Email": "b@c.d",
                   "Properties": [{"key": "k1", "value": "v2"}]})
        );
    }

    #[test]
    fn every_mistake_is_listed() {
        let csv = "name,surname,email,hour,prop:k9\n,X,a@b.c,1\nA,B,not-mail,abc\nA,B,c@d.e,NaN\n";
        let keys = vec!["k1".to_string()];
        let mistakes = parse_rows(csv.as_bytes(), &tid(), Some(&keys)).unwrap_err();
        let text = mistakes.join("\n");
        for needle in [
            "prop:k9",
            "prop:k1",
            "line 2: `name` is empty",
            "line 3: `email`",
            "line 3: `hour`",
            "line 4: `hour`",
        ] {
            assert!(text.contains(needle), "{needle} in\n{text}");
        }
        let shape =
            parse_rows("name,email,hours\nA,a@b.c,1\n".as_bytes(), &tid(), None).unwrap_err();
        assert_eq!(shape.len(), 2, "{shape:?}");
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
