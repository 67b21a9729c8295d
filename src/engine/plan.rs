//! Plans: the requests of an operation written to a file for review
//! (`--plan-out FILE`), and read back to be sent exactly as reviewed
//! (`certctl apply FILE`).
//!
//! This module owns the file format (`certctl_plan` version 1), its digest, writing
//! it (mode 0600, whole or not at all), and every check a plan must pass before a
//! single request leaves: version, digest, age, and that each request goes to the
//! base URL the profile configures now. It turns a checked plan back into the
//! engine's [`Unit`]s with the credential of the current settings; running them,
//! judging answers and journaling stay with [`super::Engine`] and the adapters.
//!
//! A plan never holds a credential: a credential header is written as a template
//! with the placeholder `<secret:SETTING>` (`Bearer <secret:token>`) and rebuilt from
//! the setting when the plan is applied.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::operation::Unit;
use super::request::{HeaderValue, Method, Request};
use crate::error::{Error, ErrorKind, Result};
use crate::secret::Secret;

/// The format version this certctl writes and reads.
pub const VERSION: u64 = 1;

/// What `base_url` says in a plan made against the `--sandbox` emulator, whose
/// address changes with every run.
pub const SANDBOX: &str = "sandbox";

/// The header names certctl sends, the only ones a plan may carry (request headers
/// hold `&'static str` names; anything else in a plan was not written by certctl).
const HEADERS: [&str; 3] = ["authorization", "content-type", "x-dc-devkey"];

/// Headers that carry a credential: in a plan they must hold the placeholder.
const CREDENTIAL_HEADERS: [&str; 2] = ["authorization", "x-dc-devkey"];

/// How far in the future a plan's `created` may be (clocks of two machines differ).
const CLOCK_SKEW: Duration = Duration::from_secs(300);

/// `<secret:SETTING>`, the placeholder of a credential in a plan.
fn placeholder(setting: &str) -> String {
    format!("<secret:{setting}>")
}

/// The digest of a plan's `requests` array: SHA-256 of its compact JSON with every
/// object's keys sorted (by their UTF-8 bytes), as `sha256:` and lowercase hex. Key
/// order and whitespace in the file do not change it; any other change does.
pub fn digest(requests: &Value) -> String {
    let mut canonical = Vec::new();
    write_canonical(requests, &mut canonical);
    let hash = Sha256::digest(&canonical);
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256:");
    for b in hash.iter() {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Compact JSON with sorted object keys; strings and numbers as serde_json writes them.
fn write_canonical(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push(b'{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                crate::json::push_str(out, key);
                out.push(b':');
                if let Some(v) = map.get(key) {
                    write_canonical(v, out);
                }
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        // Writing a scalar to a Vec cannot fail.
        scalar => {
            let _ = serde_json::to_writer(&mut *out, scalar);
        }
    }
}

/// Where a plan is written and what it records about its target.
#[derive(Debug, Clone)]
pub struct Out {
    /// The plan file.
    pub path: PathBuf,
    /// The profile the plan is made with, and so applied with.
    pub profile: String,
    /// The provider's base URL, or [`SANDBOX`].
    pub base_url: String,
    /// With `--sandbox`: the emulator's root URL, cut from every request URL so that
    /// another run's emulator can take it.
    pub sandbox_root: Option<String>,
    /// The name of the credential setting (`token`, `api_key`).
    pub secret_key: &'static str,
    /// The credential, to find in headers and replace by its placeholder.
    pub secret: Secret,
}

/// The requests of a plan as a dry run yields them, turned into plan entries.
pub struct Recorder {
    out: Out,
    requests: Vec<Value>,
}

impl Recorder {
    /// A recorder writing to `out` once the requests are known.
    pub fn new(out: Out) -> Recorder {
        Recorder {
            out,
            requests: Vec::new(),
        }
    }

    /// The plan file.
    pub fn path(&self) -> &Path {
        &self.out.path
    }

    /// Adds a unit's request, its credential replaced by the placeholder.
    pub fn record(&mut self, unit: &Unit) -> Result<()> {
        let req = &unit.request;
        let url = match &self.out.sandbox_root {
            Some(root) => req.url.strip_prefix(root.as_str()).unwrap_or(&req.url),
            None => &req.url,
        };
        let mut headers = Map::new();
        for (name, value) in &req.headers {
            let shown = match value {
                HeaderValue::Plain(text) => text.clone(),
                HeaderValue::Secret(secret) => self.template(name, secret)?,
            };
            headers.insert((*name).to_string(), Value::String(shown));
        }
        let mut entry = Map::new();
        entry.insert("method".into(), req.method.as_str().into());
        entry.insert("url".into(), url.into());
        entry.insert("headers".into(), Value::Object(headers));
        if let Some(body) = &req.body {
            let body: Value = serde_json::from_slice(body).map_err(|_| {
                Error::new(
                    ErrorKind::Refused,
                    "cannot write the plan: a request body is not JSON (a bug: please report it)",
                )
            })?;
            entry.insert("body".into(), body);
        }
        entry.insert("ids".into(), serde_json::json!(unit.ids));
        self.requests.push(Value::Object(entry));
        Ok(())
    }

    /// A credential header's value with the credential replaced by its placeholder:
    /// `Bearer <secret:token>`, or `<secret:api_key>` for a header that is the key.
    fn template(&self, name: &str, value: &Secret) -> Result<String> {
        let secret = self.out.secret.expose();
        match value.expose().strip_suffix(secret) {
            Some(prefix) if !secret.is_empty() && !prefix.contains(secret) => {
                Ok(format!("{prefix}{}", placeholder(self.out.secret_key)))
            }
            _ => Err(Error::new(
                ErrorKind::Refused,
                format!(
                    "cannot write the plan: the `{name}` header does not end with the {} setting's value or holds it twice, so it cannot be left out",
                    self.out.secret_key
                ),
            )),
        }
    }

    /// Writes the plan of `provider`'s `operation` and returns its digest.
    pub fn write(self, provider: &str, operation: &str) -> Result<String> {
        let requests = Value::Array(self.requests);
        let digest = digest(&requests);
        let mut plan = Map::new();
        plan.insert("certctl_plan".into(), VERSION.into());
        plan.insert(
            "created".into(),
            humantime::format_rfc3339_seconds(SystemTime::now())
                .to_string()
                .into(),
        );
        plan.insert("profile".into(), self.out.profile.into());
        plan.insert("provider".into(), provider.into());
        plan.insert("operation".into(), operation.into());
        plan.insert("base_url".into(), self.out.base_url.into());
        plan.insert("requests".into(), requests);
        plan.insert("digest".into(), digest.clone().into());
        let mut bytes = serde_json::to_vec_pretty(&Value::Object(plan))
            .map_err(|e| Error::new(ErrorKind::Refused, format!("cannot write the plan: {e}")))?;
        bytes.push(b'\n');
        let secret = self.out.secret.expose().as_bytes();
        if !secret.is_empty() && memchr::memmem::find(&bytes, secret).is_some() {
            return Err(Error::new(
                ErrorKind::Refused,
                format!(
                    "cannot write the plan: the {} setting's value also appears in the requests (an ID, a URL or a body), and a plan never holds a credential",
                    self.out.secret_key
                ),
            ));
        }
        crate::files::write_whole(&self.out.path, &bytes).map_err(|e| {
            Error::usage(format!(
                "cannot write the plan {}: {e}",
                self.out.path.display()
            ))
        })?;
        Ok(digest)
    }
}

/// A plan as read from its file, its digest checked.
#[derive(Debug)]
pub struct Plan {
    /// When it was made (RFC 3339, UTC).
    pub created: String,
    /// The profile it was made with.
    pub profile: String,
    /// The provider's name.
    pub provider: String,
    /// The operation's name.
    pub operation: String,
    /// The base URL its requests go to, or [`SANDBOX`].
    pub base_url: String,
    /// The requests, in order.
    pub requests: Vec<Planned>,
    /// `sha256:...`, checked against the requests.
    pub digest: String,
}

/// One request of a plan.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Planned {
    /// `GET`, `POST`, `PUT` or `DELETE`.
    pub method: String,
    /// The full URL (a path under the emulator's root for a sandbox plan).
    pub url: String,
    /// Header names and values, credentials as placeholders.
    #[serde(default)]
    pub headers: Map<String, Value>,
    /// The JSON body, sent compact as written.
    #[serde(default)]
    pub body: Option<Value>,
    /// The items whose outcome the request decides.
    pub ids: Vec<String>,
}

/// The fields of a plan file; its version is checked before the rest is read.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Head {
    #[serde(rename = "certctl_plan")]
    _version: serde::de::IgnoredAny,
    created: String,
    profile: String,
    provider: String,
    operation: String,
    base_url: String,
    requests: Value,
    digest: String,
}

impl Plan {
    /// Reads the plan at `path`: a file that is not a plan, of another version, or
    /// whose requests do not match its digest is a usage error.
    pub fn read(path: &Path) -> Result<Plan> {
        let name = path.display();
        let text = std::fs::read(path)
            .map_err(|e| Error::usage(format!("cannot read the plan {name}: {e}")))?;
        let value: Value = serde_json::from_slice(&text)
            .map_err(|e| Error::usage(format!("{name} is not a plan: not JSON ({e})")))?;
        let version = value.get("certctl_plan").cloned();
        if version.as_ref().and_then(Value::as_u64) != Some(VERSION) {
            let shown = version.map_or_else(|| "none".to_string(), |v| v.to_string());
            return Err(Error::usage(format!(
                "{name} is not a plan this certctl can apply: its certctl_plan version is {shown}, and only {VERSION} is known"
            ))
            .hint("make the plan again with this certctl's --plan-out"));
        }
        let head: Head = serde_json::from_value(value)
            .map_err(|e| Error::usage(format!("{name} is not a valid plan: {e}")))?;
        let computed = digest(&head.requests);
        if computed != head.digest {
            return Err(Error::usage(format!(
                "the plan {name} was changed after it was made: its requests' digest is {computed}, not the {} it records; nothing was sent",
                head.digest
            ))
            .hint("make and review the plan again; a plan cannot be edited"));
        }
        let requests: Vec<Planned> = serde_json::from_value(head.requests)
            .map_err(|e| Error::usage(format!("{name} is not a valid plan: {e}")))?;
        Ok(Plan {
            created: head.created,
            profile: head.profile,
            provider: head.provider,
            operation: head.operation,
            base_url: head.base_url,
            requests,
            digest: head.digest,
        })
    }

    /// Refuses a plan older than `max_age` at `now`, or made in the future (beyond
    /// the clocks' usual disagreement): usage errors.
    pub fn check_age(&self, max_age: Duration, now: SystemTime) -> Result<()> {
        let created = humantime::parse_rfc3339(&self.created).map_err(|e| {
            Error::usage(format!(
                "the plan's `created` time `{}` is not an RFC 3339 UTC time ({e})",
                self.created
            ))
        })?;
        match now.duration_since(created) {
            Ok(age) if age > max_age => Err(Error::usage(format!(
                "the plan was made at {} ({} ago), more than --max-age {} ago; nothing was sent",
                self.created,
                humantime::format_duration(Duration::from_secs(age.as_secs())),
                humantime::format_duration(max_age)
            ))
            .hint("make and review a new plan, or give a longer --max-age")),
            Ok(_) => Ok(()),
            Err(ahead) if ahead.duration() > CLOCK_SKEW => Err(Error::usage(format!(
                "the plan's `created` time {} is in the future",
                self.created
            ))),
            Err(_) => Ok(()),
        }
    }

    /// Refuses a sandbox plan in a run without `--sandbox`, and a plan of configured
    /// hosts in a run with it (usage errors).
    pub fn check_sandbox(&self, sandbox: bool) -> Result<()> {
        match (self.base_url == SANDBOX, sandbox) {
            (true, false) => Err(Error::usage(
                "this plan was made with --sandbox: apply it with --sandbox too",
            )),
            (false, true) => Err(Error::usage(
                "this plan was made against configured hosts, not the emulator: apply it without --sandbox",
            )),
            _ => Ok(()),
        }
    }

    /// The engine's units for this plan, every check made first so that a refused
    /// plan sends nothing.
    ///
    /// `target` is where requests go now, with an emulator root exactly when the
    /// plan is a sandbox plan ([`Plan::check_sandbox`]): for a normal plan its base
    /// URL must be the plan's and every URL must lie under it (else a config error: the
    /// credential would go to a host nobody reviewed); a sandbox plan's paths must
    /// lie under the provider's `sandbox_prefix` and are moved onto the running
    /// emulator. Credential placeholders are filled from `secret`.
    pub fn units(&self, target: &Target<'_>) -> Result<Vec<Unit>> {
        if target.sandbox_root.is_none() {
            let planned = self.base_url.trim_end_matches('/');
            if planned != target.base_url {
                return Err(Error::config(format!(
                    "the plan sends to {planned}, but the {} base_url of profile `{}` is now {}; nothing was sent, since the credential would go to a host other than the one reviewed",
                    self.provider, self.profile, target.base_url
                ))
                .hint("make and review the plan again against the current settings"));
            }
        }
        self.requests
            .iter()
            .enumerate()
            .map(|(i, p)| self.unit(i + 1, p, target))
            .collect()
    }

    fn unit(&self, n: usize, planned: &Planned, target: &Target<'_>) -> Result<Unit> {
        let bad = |why: String| Error::usage(format!("request {n} of the plan {why}"));
        let method = match planned.method.as_str() {
            "GET" => Method::Get,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "DELETE" => Method::Delete,
            other => return Err(bad(format!("has a method certctl never sends: `{other}`"))),
        };
        if planned.ids.is_empty() {
            return Err(bad("names no item in `ids`".into()));
        }
        let (under, url) = match &target.sandbox_root {
            Some(root) => (target.sandbox_prefix, format!("{root}{}", planned.url)),
            None => (target.base_url, planned.url.clone()),
        };
        if !lies_under(&planned.url, under) {
            return Err(Error::config(format!(
                "request {n} of the plan goes to {}, which is not under its base URL {under}; nothing was sent",
                planned.url
            ))
            .hint("a plan's requests only go to the host it was reviewed for: make the plan again"));
        }
        let mut request = Request::new(method, url);
        let token = placeholder(target.secret_key);
        for (name, value) in &planned.headers {
            let Some(name) = HEADERS.iter().find(|h| **h == name.as_str()) else {
                return Err(bad(format!("has a header certctl never sends: `{name}`")));
            };
            let Some(value) = value.as_str() else {
                return Err(bad(format!("has a `{name}` header that is not a string")));
            };
            let credential = CREDENTIAL_HEADERS.contains(name);
            match value.matches("<secret:").count() {
                0 if credential => {
                    return Err(bad(format!(
                        "holds a `{name}` header without the {token} placeholder; a plan never holds a credential"
                    )));
                }
                0 => request = request.header(name, value),
                1 if value.contains(&token) => {
                    let filled = value.replace(&token, target.secret.expose());
                    request = request.secret_header(name, Secret::new(filled));
                }
                _ => {
                    return Err(bad(format!(
                        "has a `{name}` header whose placeholder is not the one {token} of the {} setting",
                        target.secret_key
                    )));
                }
            }
        }
        if let Some(body) = &planned.body {
            let bytes = serde_json::to_vec(body)
                .map_err(|e| bad(format!("has a body that cannot be written: {e}")))?;
            request.body = Some(Bytes::from(bytes));
        }
        Ok(Unit {
            ids: planned.ids.clone(),
            request,
        })
    }
}

/// Whether `url` is `base` itself or a path or query under it: `https://a.example`
/// does not cover `https://a.example.evil.org` nor `https://a.example@evil.org`.
fn lies_under(url: &str, base: &str) -> bool {
    match url.strip_prefix(base) {
        Some(rest) => rest.is_empty() || rest.starts_with('/') || rest.starts_with('?'),
        None => false,
    }
}

/// Where a plan is applied: the current settings of its profile and provider.
#[derive(Debug)]
pub struct Target<'a> {
    /// The provider's base URL now (validated, no trailing `/`).
    pub base_url: &'a str,
    /// With `--sandbox`: the running emulator's root URL.
    pub sandbox_root: Option<&'a str>,
    /// The provider's path inside the emulator (`/digicert/services/v2`).
    pub sandbox_prefix: &'a str,
    /// The name of the credential setting.
    pub secret_key: &'a str,
    /// The credential now.
    pub secret: &'a Secret,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn digest_ignores_key_order_and_whitespace() {
        let a = json!([{"method": "PUT", "url": "u", "body": {"b": 1, "a": [true, null]}}]);
        let b: Value = serde_json::from_str(
            r#"[ { "body": {"a": [true, null], "b": 1}, "url": "u", "method": "PUT" } ]"#,
        )
        .unwrap();
        assert_eq!(digest(&a), digest(&b));
        let c = json!([{"method": "PUT", "url": "u", "body": {"b": 2, "a": [true, null]}}]);
        assert_ne!(digest(&a), digest(&c));
    }

    #[test]
    fn digest_is_sha256_of_the_sorted_compact_json() {
        let requests =
            json!([{"url": "https://x/a?b=c", "method": "DELETE", "ids": ["k\"1", "é"]}]);
        let mut canonical = Vec::new();
        write_canonical(&requests, &mut canonical);
        assert_eq!(
            String::from_utf8(canonical).unwrap(),
            r#"[{"ids":["k\"1","é"],"method":"DELETE","url":"https://x/a?b=c"}]"#
        );
        // printf '%s' '[{"ids":["k\"1","é"],"method":"DELETE","url":"https://x/a?b=c"}]' | sha256sum
        assert_eq!(
            digest(&requests),
            "sha256:00a7f76269537324067ed5b1fd2fc20d6ea9c179288153de6e796fe54a392554"
        );
        assert_eq!(
            digest(&json!([])),
            "sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945"
        );
    }

    #[test]
    fn the_schema_names_exactly_the_operations_that_can_be_planned() {
        use crate::registry::PROVIDERS;
        let schema: Value = serde_json::from_str(include_str!("../../schemas/plan.json")).unwrap();
        let names = |key: &str| -> Vec<String> {
            schema["properties"][key]["enum"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
                .collect()
        };
        let providers: Vec<&str> = PROVIDERS.iter().map(|p| p.name).collect();
        assert_eq!(names("provider"), providers);
        let mut planned: Vec<String> = PROVIDERS
            .iter()
            .flat_map(|p| crate::providers::adapter(p.id).specs())
            .map(|spec| spec.name.to_string())
            .collect();
        planned.sort();
        planned.dedup();
        let mut named = names("operation");
        named.sort();
        assert_eq!(named, planned);
        assert_eq!(schema["properties"]["certctl_plan"]["const"], VERSION);
    }

    #[test]
    fn urls_lie_under_their_base_only_at_a_boundary() {
        let base = "https://api.example";
        assert!(lies_under("https://api.example/admin/keys", base));
        assert!(lies_under("https://api.example?x=1", base));
        assert!(lies_under(base, base));
        assert!(!lies_under("https://api.example.evil.org/admin", base));
        assert!(!lies_under("https://api.example@evil.org/admin", base));
        assert!(!lies_under("http://api.example/admin", base));
    }

    fn plan(created: &str) -> Plan {
        Plan {
            created: created.into(),
            profile: "prod".into(),
            provider: "digicert".into(),
            operation: "orders.revoke".into(),
            base_url: "https://dc.example/services/v2".into(),
            requests: vec![Planned {
                method: "PUT".into(),
                url: "https://dc.example/services/v2/order/certificate/1/revoke".into(),
                headers: serde_json::from_value(json!({
                    "x-dc-devkey": "<secret:api_key>",
                    "content-type": "application/json"
                }))
                .unwrap(),
                body: Some(json!({"comments": "c"})),
                ids: vec!["1".into()],
            }],
            digest: String::new(),
        }
    }

    #[test]
    fn age_is_checked_against_max_age_and_the_future() {
        let now = humantime::parse_rfc3339("2026-11-29T10:00:00Z").unwrap();
        let day = Duration::from_secs(86400);
        assert!(plan("2026-11-28T10:00:01Z").check_age(day, now).is_ok());
        let old = plan("2026-11-28T09:59:59Z")
            .check_age(day, now)
            .unwrap_err();
        assert_eq!(old.kind(), ErrorKind::Usage);
        assert!(plan("2026-11-29T10:01:00Z").check_age(day, now).is_ok());
        assert!(plan("2026-11-29T11:00:00Z").check_age(day, now).is_err());
        assert!(plan("yesterday").check_age(day, now).is_err());
    }

    fn target<'a>(base: &'a str, secret: &'a Secret) -> Target<'a> {
        Target {
            base_url: base,
            sandbox_root: None,
            sandbox_prefix: "/digicert/services/v2",
            secret_key: "api_key",
            secret,
        }
    }

    #[test]
    fn units_carry_the_current_secret_and_the_planned_body() {
        let secret = Secret::new("key-now");
        let units = plan("x")
            .units(&target("https://dc.example/services/v2", &secret))
            .unwrap();
        let req = &units[0].request;
        assert_eq!(req.method, Method::Put);
        assert_eq!(req.headers[0].0, "x-dc-devkey");
        assert_eq!(req.headers[0].1.exposed(), "key-now");
        assert_eq!(req.headers[0].1.shown(), "<redacted>");
        assert_eq!(req.body.as_deref(), Some(&br#"{"comments":"c"}"#[..]));
    }

    #[test]
    fn a_retargeted_or_foreign_plan_is_a_config_error() {
        let secret = Secret::new("k");
        let moved = plan("x").units(&target("https://other.example/services/v2", &secret));
        assert_eq!(moved.unwrap_err().kind(), ErrorKind::Config);
        let mut foreign = plan("x");
        foreign.requests[0].url = "https://dc.example/services/v2.evil.org/x".into();
        let refused = foreign.units(&target("https://dc.example/services/v2", &secret));
        assert_eq!(refused.unwrap_err().kind(), ErrorKind::Config);
    }

    #[test]
    fn a_credential_found_outside_its_header_stops_the_plan() {
        let dir = tempfile::tempdir().unwrap();
        let mut recorder = Recorder::new(Out {
            path: dir.path().join("p.json"),
            profile: "p".into(),
            base_url: "https://x".into(),
            sandbox_root: None,
            secret_key: "api_key",
            secret: Secret::new("1001"),
        });
        let unit = Unit {
            ids: vec!["1001".into()],
            request: Request::new(Method::Put, "https://x/order/certificate/1001/revoke")
                .secret_header("x-dc-devkey", Secret::new("1001")),
        };
        recorder.record(&unit).unwrap();
        assert!(recorder.write("digicert", "orders.revoke").is_err());
        assert!(!dir.path().join("p.json").exists());
    }

    #[test]
    fn sandbox_plans_go_only_to_sandbox_runs() {
        let mut sandboxed = plan("x");
        sandboxed.base_url = SANDBOX.into();
        assert!(sandboxed.check_sandbox(true).is_ok());
        assert_eq!(
            sandboxed.check_sandbox(false).unwrap_err().kind(),
            ErrorKind::Usage
        );
        assert!(plan("x").check_sandbox(false).is_ok());
        assert!(plan("x").check_sandbox(true).is_err());
    }

    #[test]
    fn a_credential_header_must_hold_the_placeholder() {
        let secret = Secret::new("k");
        let mut leaked = plan("x");
        leaked.requests[0]
            .headers
            .insert("x-dc-devkey".into(), "real-key".into());
        let refused = leaked.units(&target("https://dc.example/services/v2", &secret));
        assert_eq!(refused.unwrap_err().kind(), ErrorKind::Usage);
        let mut other = plan("x");
        other.requests[0]
            .headers
            .insert("x-forwarded-for".into(), "1.2.3.4".into());
        assert!(
            other
                .units(&target("https://dc.example/services/v2", &secret))
                .is_err()
        );
    }

    #[test]
    fn recorded_credentials_become_placeholders() {
        let mut recorder = Recorder::new(Out {
            path: PathBuf::from("unused"),
            profile: "p".into(),
            base_url: SANDBOX.into(),
            sandbox_root: Some("http://127.0.0.1:9".into()),
            secret_key: "token",
            secret: Secret::new("tok"),
        });
        let unit = Unit {
            ids: vec!["k1".into()],
            request: Request::new(Method::Put, "http://127.0.0.1:9/bcdiploma/admin/keys")
                .secret_header("authorization", Secret::new("Bearer tok"))
                .json(&json!({"ids": ["k1"], "enable": false})),
        };
        recorder.record(&unit).unwrap();
        assert_eq!(
            recorder.requests[0],
            json!({
                "method": "PUT", "url": "/bcdiploma/admin/keys",
                "headers": {"authorization": "Bearer <secret:token>", "content-type": "application/json"},
                "body": {"ids": ["k1"], "enable": false}, "ids": ["k1"]
            })
        );
    }
}
