//! Emulated Sertifika Merkezi Web API v1.0 under `/sertifika`: templates ("sertifika"
//! in the provider's words), users, awarded certificates, issuing and revoking, with
//! the bodies of the vendor's Turkish documentation (recorded in `fixtures/sertifika/`).
//!
//! Seed: templates `64c9f080-2314-4f02-a43c-923d83e8e444` (properties
//! `alias_1434977880189`, `alias_1434977884195`) and
//! `64c9f080-2314-4f02-a43c-923d83e8e555` (property `alias_1434977890001`); five
//! users, see `USERS`. Errors outside the documented bodies use ASP.NET Web API's
//! `{"Message": ...}`.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use md5::{Digest, Md5};
use serde_json::{Map, Value, json};

use super::api::{COMPANY, Call, Emulation, Resp, TOKEN, json};
use super::stats::Stats;

const COMPANY_NAME: &str = "Sandbox Eğitim A.Ş.";

struct Template {
    id: &'static str,
    name: &'static str,
    /// Property (key, title) pairs.
    properties: &'static [(&'static str, &'static str)],
}

const TEMPLATES: [Template; 2] = [
    Template {
        id: "64c9f080-2314-4f02-a43c-923d83e8e444",
        name: "İş Sağlığı ve Güvenliği Eğitim Sertifikası",
        properties: &[
            ("alias_1434977880189", "Eğitim Tarihi"),
            ("alias_1434977884195", "Eğitim Yeri"),
        ],
    },
    Template {
        id: "64c9f080-2314-4f02-a43c-923d83e8e555",
        name: "Rust ile Sistem Programlama Sertifikası",
        properties: &[("alias_1434977890001", "Kurs Kodu")],
    },
];

/// Seeded users (name, surname, e-mail) and the templates awarded to each (by index
/// into `TEMPLATES`).
const USERS: [(&str, &str, &str, &[usize]); 5] = [
    ("Ayşe", "Yılmaz", "ayse.yilmaz@example.com.tr", &[0]),
    ("Mehmet", "Demir", "mehmet.demir@example.com.tr", &[0]),
    ("Zeynep", "Kaya", "zeynep.kaya@example.com.tr", &[0, 1]),
    ("Mustafa", "Çelik", "mustafa.celik@example.com.tr", &[1]),
    ("Elif", "Şahin", "elif.sahin@example.com.tr", &[]),
];

struct User {
    name: String,
    surname: String,
    email: String,
}

/// A template awarded to a user.
struct Award {
    template: &'static Template,
    user: String,
    id: String,
    created: String,
}

/// Users (by userCode) and awards.
pub(super) struct State {
    users: BTreeMap<String, User>,
    awards: Vec<Award>,
    next_award: u64,
}

/// The userCode of an e-mail: lowercase hex MD5 of the trimmed, lowercased address.
pub(super) fn user_code(email: &str) -> String {
    Md5::digest(email.trim().to_lowercase().as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Now, in the documentation's `Aug 31 2015 11:42AM` form.
fn created_date() -> String {
    let http = httpdate::fmt_http_date(std::time::SystemTime::now());
    let parts: Vec<&str> = http.split([' ', ':']).collect();
    match parts.as_slice() {
        [_, day, month, year, hour, minute, ..] => {
            let hour: u32 = hour.parse().unwrap_or(0);
            let (hour, half) = match hour {
                0 => (12, "AM"),
                1..=11 => (hour, "AM"),
                12 => (12, "PM"),
                _ => (hour - 12, "PM"),
            };
            format!("{month} {day} {year} {hour}:{minute}{half}")
        }
        _ => http,
    }
}

impl State {
    pub(super) fn seed() -> Self {
        let mut state = State {
            users: BTreeMap::new(),
            awards: Vec::new(),
            next_award: 1,
        };
        for (name, surname, email, awarded) in USERS {
            let code = state.add_user(name, surname, email);
            for &template in awarded {
                state.award(&TEMPLATES[template], &code);
            }
        }
        state
    }

    fn add_user(&mut self, name: &str, surname: &str, email: &str) -> String {
        let code = user_code(email);
        self.users.entry(code.clone()).or_insert_with(|| User {
            name: name.trim().to_owned(),
            surname: surname.trim().to_owned(),
            email: email.trim().to_owned(),
        });
        code
    }

    fn award(&mut self, template: &'static Template, user: &str) {
        let id = format!("5e7d0000-0000-4000-8000-{:012}", self.next_award);
        self.next_award += 1;
        self.awards.push(Award {
            template,
            user: user.to_owned(),
            id,
            created: created_date(),
        });
    }

    /// Remove every award of `template`, returning the userCodes that lost one.
    fn revoke(&mut self, template: &Template, user: Option<&str>) -> Vec<String> {
        let mut revoked = Vec::new();
        self.awards.retain(|a| {
            let hit = a.template.id == template.id && user.is_none_or(|u| u == a.user);
            if hit && !revoked.contains(&a.user) {
                revoked.push(a.user.clone());
            }
            !hit
        });
        revoked
    }
}

/// Sertifika's (ASP.NET) error body.
pub(super) fn error(status: StatusCode, message: &str) -> Resp {
    json(status, json!({ "Message": message }))
}

fn not_found(what: &str) -> Resp {
    error(StatusCode::NOT_FOUND, &format!("{what} not found."))
}

fn template(id: &str) -> Option<&'static Template> {
    TEMPLATES.iter().find(|t| t.id.eq_ignore_ascii_case(id))
}

impl Emulation for State {
    fn error(&self, status: StatusCode, message: &str) -> Resp {
        error(status, message)
    }

    fn handle(&mut self, call: &Call<'_>, stats: &mut Stats) -> Resp {
        if call.header("authorization") != Some(TOKEN) {
            return error(
                StatusCode::UNAUTHORIZED,
                "Authorization has been denied for this request.",
            );
        }
        let Some(rest) = call.segs.strip_prefix(&["api", "v1.0"]) else {
            return not_found("Endpoint");
        };
        if let ["company", company, ..] = rest
            && *company != COMPANY
        {
            return error(
                StatusCode::UNAUTHORIZED,
                &format!("Company '{company}' is not accessible with this token."),
            );
        }
        match (call.method.as_str(), rest) {
            ("GET", ["company", _, "certificate"]) => {
                let list: Vec<Value> = TEMPLATES
                    .iter()
                    .map(|t| json!({ "certificateName": t.name, "id": t.id }))
                    .collect();
                json(StatusCode::OK, Value::from(list))
            }
            ("GET", ["company", _, "user"]) => {
                let list: Vec<Value> = self.users.values().map(user_json).collect();
                json(StatusCode::OK, Value::from(list))
            }
            ("GET", ["company", _, "user", code]) => match self.users.get(&code.to_lowercase()) {
                Some(user) => json(StatusCode::OK, json!([user_json(user)])),
                None => not_found("User"),
            },
            ("GET", ["user", code, "certificate"]) => {
                let code = code.to_lowercase();
                if !self.users.contains_key(&code) {
                    return not_found("User");
                }
                let list: Vec<Value> = self
                    .awards
                    .iter()
                    .filter(|a| a.user == code)
                    .map(|a| {
                        json!({
                            "certificateName": a.template.name,
                            "companyName": COMPANY_NAME,
                            "isPrivate": false,
                            "connectionId": a.template.id,
                        })
                    })
                    .collect();
                json(StatusCode::OK, Value::from(list))
            }
            ("GET", ["certificate", id]) => match template(id) {
                Some(t) => json(StatusCode::OK, template_json(t)),
                None => not_found("Certificate"),
            },
            ("GET", ["certificate", id, "user", code @ ..]) if code.len() <= 1 => {
                let Some(t) = template(id) else {
                    return not_found("Certificate");
                };
                let code = code.first().map(|c| c.to_lowercase());
                let mut list = self
                    .awards
                    .iter()
                    .filter(|a| a.template.id == t.id && code.as_ref().is_none_or(|c| *c == a.user))
                    .filter_map(|a| self.users.get(&a.user).map(|u| award_json(a, u)));
                match code {
                    None => json(StatusCode::OK, Value::from(list.collect::<Vec<_>>())),
                    Some(_) => list.next().map_or_else(
                        || not_found("Certificate of this user"),
                        |award| json(StatusCode::OK, award),
                    ),
                }
            }
            ("POST", ["certificate"]) => issue(call, self, stats),
            ("DELETE", ["certificate", id, "user", code]) => {
                let Some(t) = template(id) else {
                    return not_found("Certificate");
                };
                let code = code.to_lowercase();
                let revoked = self.revoke(t, Some(&code));
                let message = if revoked.is_empty() {
                    format!("userCode : '{code}' is undefined or is deleted")
                } else {
                    stats.change(format!("sertifika:{}:{code}", t.id));
                    format!("userCode : '{code}' is deleted")
                };
                json(StatusCode::OK, Value::from(message))
            }
            ("DELETE", ["certificate", id, "user"]) => {
                let Some(t) = template(id) else {
                    return not_found("Certificate");
                };
                let mut messages = Vec::new();
                for code in self.revoke(t, None) {
                    if let Some(user) = self.users.get(&code) {
                        messages.push(format!("email : '{}' is deleted", user.email));
                    }
                    stats.change(format!("sertifika:{}:{code}", t.id));
                }
                json(
                    StatusCode::OK,
                    json!({ "status": "OK", "messageList": messages }),
                )
            }
            _ => not_found("Endpoint"),
        }
    }
}

fn user_json(user: &User) -> Value {
    json!({ "name": user.name, "surname": user.surname, "email": user.email })
}

fn award_json(award: &Award, user: &User) -> Value {
    json!({
        "certificateName": award.template.name,
        "connectionId": award.template.id,
        "name": user.name,
        "surname": user.surname,
        "email": user.email,
        "id": award.id,
        "createdDate": award.created,
    })
}

fn template_json(t: &Template) -> Value {
    let properties: Vec<Value> = t
        .properties
        .iter()
        .map(|(key, title)| json!({ "key": key, "value": title }))
        .collect();
    json!({ "certificateItem": [{
        "id": t.id, "name": null, "surname": null, "email": null, "duration": null,
        "grade": null, "educator": null, "sendEmail": true, "isInUse": 1,
        "Properties": properties, "metaTag": [{ "value": null }],
    }]})
}

/// A required, non-blank string field of an item.
fn text<'a>(item: &'a Map<String, Value>, field: &str) -> Option<&'a str> {
    item.get(field)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// Why an item cannot be issued, or its template when it can.
fn check_item(item: &Map<String, Value>) -> Result<&'static Template, String> {
    let mut reasons = Vec::new();
    let t = item.get("id").and_then(Value::as_str).and_then(template);
    if t.is_none() {
        reasons.push("unknown certificate id".to_owned());
    }
    for field in ["Name", "Surname", "Email"] {
        if text(item, field).is_none() {
            reasons.push(format!("{field} is required"));
        }
    }
    if let Some(email) = text(item, "Email")
        && !plausible_email(email)
    {
        reasons.push("Email is not valid".to_owned());
    }
    for field in ["Hour", "Point"] {
        if !matches!(item.get(field), None | Some(Value::Null | Value::Number(_))) {
            reasons.push(format!("{field} must be a number"));
        }
    }
    let keys: Option<Vec<&str>> =
        item.get("Properties")
            .and_then(Value::as_array)
            .and_then(|list| {
                list.iter()
                    .map(|p| p.get("key").and_then(Value::as_str))
                    .collect()
            });
    match (keys, t) {
        (None, _) => reasons.push("Properties must be a list of key and value".to_owned()),
        (Some(keys), Some(t)) => {
            let missing: Vec<&str> = t
                .properties
                .iter()
                .map(|p| p.0)
                .filter(|k| !keys.contains(k))
                .collect();
            let unknown: Vec<&str> = keys
                .iter()
                .copied()
                .filter(|k| !t.properties.iter().any(|p| p.0 == *k))
                .collect();
            if !missing.is_empty() {
                reasons.push(format!("missing properties {}", missing.join(" ")));
            }
            if !unknown.is_empty() {
                reasons.push(format!("unknown properties {}", unknown.join(" ")));
            }
        }
        (Some(_), None) => {}
    }
    match t {
        Some(t) if reasons.is_empty() => Ok(t),
        _ => Err(reasons.join(", ")),
    }
}

fn plausible_email(email: &str) -> bool {
    match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !email.contains(char::is_whitespace)
                && !domain.contains('@')
        }
        None => false,
    }
}

fn issue(call: &Call<'_>, state: &mut State, stats: &mut Stats) -> Resp {
    let body = call.json();
    let Some(items) = body
        .as_ref()
        .and_then(|b| b.get("certificateItem"))
        .and_then(Value::as_array)
    else {
        return error(
            StatusCode::BAD_REQUEST,
            "The request is invalid: certificateItem list expected.",
        );
    };
    let mut messages = Vec::new();
    let mut successes = 0;
    for (index, item) in items.iter().enumerate() {
        let n = index + 1;
        let Some(item) = item.as_object() else {
            messages.push(format!("{n}-error--item is not an object"));
            continue;
        };
        let email = text(item, "Email").unwrap_or("");
        match check_item(item) {
            Ok(t) => {
                let name = text(item, "Name").unwrap_or("");
                let surname = text(item, "Surname").unwrap_or("");
                let code = state.add_user(name, surname, email);
                state.award(t, &code);
                stats.change(format!("sertifika:{}:{code}", t.id));
                successes += 1;
                messages.push(format!("{n}-success-{email}"));
            }
            Err(reason) => messages.push(format!("{n}-error-{email}-{reason}")),
        }
    }
    messages.push(format!("Success count :{successes}"));
    messages.push(format!("Error count :{}", items.len() - successes));
    json(
        StatusCode::OK,
        json!({ "status": "OK", "messageList": messages }),
    )
}
