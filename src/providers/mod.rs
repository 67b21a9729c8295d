//! The providers certctl speaks to, as data, and what their adapters share.
//!
//! Each provider module turns parsed arguments into [`crate::engine::Operation`]s
//! (request descriptions) and turns responses into per-item outcomes. None of them
//! does I/O: the engine sends, retries, paces, journals and prints. The table here
//! is what config, `config show`, the sandbox and pacing read, so a fifth provider
//! is one entry plus one module.

pub mod bcdiploma;
pub mod digicert;
pub mod origin;
pub mod sertifika;

use std::time::Duration;

use crate::engine::rate::Window;
use crate::engine::request::Request;
use crate::engine::{Operation, Unit};
use crate::error::{ErrorKind, ItemError, Result};
use crate::input::Ids;
use crate::secret::Secret;

/// One of the four providers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProviderId {
    /// BCdiploma blockchain diplomas.
    Bcdiploma,
    /// Origin construction-product certifications.
    Origin,
    /// DigiCert CertCentral.
    Digicert,
    /// Sertifika Merkezi.
    Sertifika,
}

/// The facts certctl needs about a provider before it can talk to it.
#[derive(Debug)]
pub struct ProviderInfo {
    /// The provider this entry describes.
    pub id: ProviderId,
    /// The name used on the command line, in config tables and environment variables.
    pub name: &'static str,
    /// Where requests go when `base_url` is not set.
    pub default_base_url: &'static str,
    /// The config key of the credential (`token` or `api_key`); `<key>_file` reads it from a file.
    pub secret_key: &'static str,
    /// Other settings the provider needs besides `base_url` and the credential.
    pub extra_keys: &'static [&'static str],
    /// The documented request budget, paced by default so bulk runs never see a 429.
    pub budget: &'static [Window],
    /// Where the provider lives inside the sandbox emulator.
    pub sandbox_prefix: &'static str,
}

/// Every provider, in the order `config show` and `check` list them.
pub static PROVIDERS: [ProviderInfo; 4] = [
    ProviderInfo {
        id: ProviderId::Bcdiploma,
        name: "bcdiploma",
        default_base_url: "https://api.bcdiploma.com",
        secret_key: "token",
        extra_keys: &[],
        budget: &[
            Window::new(100, Duration::from_secs(5)),
            Window::new(500, Duration::from_secs(60)),
        ],
        sandbox_prefix: "/bcdiploma",
    },
    ProviderInfo {
        id: ProviderId::Origin,
        name: "origin",
        default_base_url: "https://origin.build/equinox",
        secret_key: "token",
        extra_keys: &[],
        budget: &[],
        sandbox_prefix: "/origin",
    },
    ProviderInfo {
        id: ProviderId::Digicert,
        name: "digicert",
        default_base_url: "https://www.digicert.com/services/v2",
        secret_key: "api_key",
        extra_keys: &[],
        budget: &[
            Window::new(100, Duration::from_secs(5)),
            Window::new(1000, Duration::from_secs(300)),
        ],
        sandbox_prefix: "/digicert/services/v2",
    },
    ProviderInfo {
        id: ProviderId::Sertifika,
        name: "sertifika",
        default_base_url: "https://sertifikalarim.com",
        secret_key: "token",
        extra_keys: &["company_id"],
        budget: &[],
        sandbox_prefix: "/sertifika",
    },
];

impl ProviderId {
    /// This provider's entry in [`PROVIDERS`].
    pub fn info(self) -> &'static ProviderInfo {
        match self {
            ProviderId::Bcdiploma => &PROVIDERS[0],
            ProviderId::Origin => &PROVIDERS[1],
            ProviderId::Digicert => &PROVIDERS[2],
            ProviderId::Sertifika => &PROVIDERS[3],
        }
    }

    /// The provider's command-line and config name.
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// Looks a provider up by its command-line name (or the `sm` alias).
    pub fn from_name(name: &str) -> Option<ProviderId> {
        let name = if name == "sm" { "sertifika" } else { name };
        PROVIDERS.iter().find(|p| p.name == name).map(|p| p.id)
    }
}

/// What `certctl apply` needs to send a planned operation again through the engine:
/// the adapter's own name, confirmation and idempotency rules, and its judge of
/// answers. A plan stores requests, not these rules: they stay the adapter's, so an
/// applied plan is judged exactly as the operation run directly.
pub struct Replay {
    /// The operation's name, as in reports and the journal.
    pub name: &'static str,
    /// Whether it asks for confirmation.
    pub irreversible: bool,
    /// Whether a request may be sent again after it may have reached the server.
    pub idempotent: bool,
    /// Judges each answer.
    pub interpret: std::sync::Arc<crate::engine::Interpret>,
}

/// The rules of `provider`'s state-changing operation named `operation`, for a plan
/// made against `base` and applied with `secret`; `None` for a name that is not one
/// (reads are never planned).
pub fn replay(
    provider: ProviderId,
    operation: &str,
    base: &str,
    secret: &Secret,
) -> Option<Replay> {
    match provider {
        ProviderId::Bcdiploma => bcdiploma::replay(operation),
        ProviderId::Origin => origin::replay(
            operation,
            &origin::Target {
                base: base.to_string(),
                token: secret.clone(),
            },
        ),
        ProviderId::Digicert => digicert::replay(operation),
        ProviderId::Sertifika => sertifika::replay(operation),
    }
}

/// Whether `operation` of `provider` changes state, which is what `--plan-out`
/// accepts: exactly the operations [`replay`] knows (the target does not matter to
/// that question, so none is given).
pub fn changes_state(provider: ProviderId, operation: &str) -> bool {
    replay(provider, operation, "", &Secret::new("")).is_some()
}

/// The error kind an HTTP status means when the body says nothing more precise.
pub fn kind_for_status(status: u16) -> ErrorKind {
    match status {
        401 | 403 => ErrorKind::Auth,
        404 => ErrorKind::NotFound,
        408 | 429 | 500..=599 => ErrorKind::Transient,
        300..=399 => ErrorKind::Refused,
        _ => ErrorKind::Rejected,
    }
}

/// An error for a status whose body could not be read as the provider's error shape:
/// the status decides the kind, and a short excerpt of the body is the message.
pub fn unreadable_error(status: u16, body: &[u8]) -> ItemError {
    let text = String::from_utf8_lossy(body);
    let excerpt: String = text.trim().chars().take(200).collect();
    let message = if excerpt.is_empty() {
        format!("the provider answered HTTP {status} with no message")
    } else if excerpt.starts_with('<') {
        format!("the provider answered HTTP {status} with an HTML page instead of its API error")
    } else {
        format!("the provider answered HTTP {status}: {excerpt}")
    };
    ItemError::new(kind_for_status(status), message).status(status)
}

/// Groups a stream of IDs into units of at most `size`, each with the request
/// `build` makes for it; lazily, so only the batches in flight are in memory.
pub fn batched(
    ids: Ids,
    size: usize,
    build: impl Fn(&[String]) -> Request + Send + 'static,
) -> impl Iterator<Item = Result<Unit>> + Send {
    let mut iter = ids.iter;
    let size = size.max(1);
    std::iter::from_fn(move || {
        let mut batch = Vec::with_capacity(size.min(1024));
        while batch.len() < size {
            match iter.next() {
                Some(Ok(id)) => batch.push(id),
                Some(Err(e)) => return Some(Err(e)),
                None => break,
            }
        }
        if batch.is_empty() {
            return None;
        }
        let request = build(&batch);
        Some(Ok(Unit {
            ids: batch,
            request,
        }))
    })
}

/// The number of requests `count` items make in batches of `size`.
pub fn request_count(count: Option<usize>, size: usize) -> Option<usize> {
    count.map(|n| n.div_ceil(size.max(1)))
}

/// The first string among `keys` of a JSON object (nested objects are searched too).
pub fn find_message(value: &serde_json::Value, keys: &[&str]) -> Option<String> {
    let obj = value.as_object()?;
    for key in keys {
        match obj.get(*key) {
            Some(serde_json::Value::String(s)) if !s.is_empty() => return Some(s.clone()),
            Some(v @ serde_json::Value::Object(_)) => {
                if let Some(s) = find_message(v, keys) {
                    return Some(s);
                }
            }
            _ => {}
        }
    }
    None
}

/// An operation of one request on one item (a campaign, a template): its count,
/// request count and preview follow from that.
pub fn single(
    provider: ProviderId,
    name: &'static str,
    irreversible: bool,
    idempotent: bool,
    id: String,
    request: Request,
    interpret: std::sync::Arc<crate::engine::Interpret>,
) -> Operation {
    let unit = Unit {
        ids: vec![id.clone()],
        request,
    };
    operation(
        provider,
        name,
        irreversible,
        idempotent,
        std::iter::once(Ok(unit)),
        interpret,
    )
    .sized(Some(1), Some(1), vec![id])
}

/// An operation with the fields every provider fills the same way.
pub fn operation(
    provider: ProviderId,
    name: &'static str,
    irreversible: bool,
    idempotent: bool,
    units: impl Iterator<Item = Result<Unit>> + Send + 'static,
    interpret: std::sync::Arc<crate::engine::Interpret>,
) -> Operation {
    Operation {
        provider,
        name,
        irreversible,
        idempotent,
        units: Box::new(units),
        count: None,
        requests: None,
        preview: Vec::new(),
        interpret,
        wait: None,
        notes: Vec::new(),
    }
}

/// Builders shared by the adapters' unit tests.
#[cfg(test)]
pub mod test_support {
    use crate::engine::request::Response;
    use crate::input::{Check, Ids};

    /// An answer with this status and body.
    pub fn resp(status: u16, body: &str) -> Response {
        Response {
            status,
            retry_after: None,
            body: bytes::Bytes::from(body.to_string()),
        }
    }

    /// IDs as if given on the command line, checked by `check`.
    pub fn ids(list: &[&str], check: Check) -> Ids {
        crate::input::open(list.iter().map(|s| s.to_string()).collect(), None, check)
            .expect("test IDs are valid")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_table_matches_ids() {
        for p in &PROVIDERS {
            assert_eq!(p.id.info().name, p.name);
            assert_eq!(ProviderId::from_name(p.name), Some(p.id));
        }
        assert_eq!(ProviderId::from_name("sm"), Some(ProviderId::Sertifika));
        assert_eq!(ProviderId::from_name("acme"), None);
    }

    #[test]
    fn statuses_map_to_kinds() {
        assert_eq!(kind_for_status(400), ErrorKind::Rejected);
        assert_eq!(kind_for_status(401), ErrorKind::Auth);
        assert_eq!(kind_for_status(403), ErrorKind::Auth);
        assert_eq!(kind_for_status(404), ErrorKind::NotFound);
        assert_eq!(kind_for_status(429), ErrorKind::Transient);
        assert_eq!(kind_for_status(500), ErrorKind::Transient);
        assert_eq!(kind_for_status(302), ErrorKind::Refused);
        assert_eq!(kind_for_status(422), ErrorKind::Rejected);
    }

    #[test]
    fn html_bodies_are_not_dumped() {
        let e = unreadable_error(502, b"<html><body>Bad gateway</body></html>");
        assert!(e.message.contains("HTML page"), "{}", e.message);
        assert_eq!(e.kind, ErrorKind::Transient);
    }
}
