//! The provider adapters and what they share.
//!
//! Each provider module turns parsed arguments into [`crate::engine::Operation`]s
//! (request descriptions) and turns responses into per-item outcomes. None of them
//! does I/O: the engine sends, retries, paces, journals and prints. What certctl
//! knows of each provider as data (names, settings, budgets, emulator prefix) is
//! its row in [`crate::registry::PROVIDERS`], re-exported here.

pub mod bcdiploma;
pub mod digicert;
pub mod origin;
pub mod sertifika;

use crate::engine::request::Request;
use crate::engine::{Operation, Unit};
use crate::error::Result;
use crate::input::Ids;
use crate::secret::Secret;

pub use crate::error::{kind_for_status, unreadable_error};
pub use crate::registry::{PROVIDERS, ProviderId};

/// The read-only request `certctl check` sends to a provider, and whether its answer
/// says anything about the credential (BCdiploma and Origin document no read-only
/// request: their probe only shows the host is there and does not refuse the token).
pub struct Probe {
    /// The request.
    pub request: Request,
    /// Whether a 2xx answer proves the credential was accepted.
    pub verifies_credential: bool,
}

/// The check probe of `provider` at `base` with `secret`; `extra` gives the other
/// settings the provider needs (Sertifika's `company_id`).
pub fn probe(
    provider: ProviderId,
    base: &str,
    secret: &Secret,
    extra: &dyn Fn(&'static str) -> String,
) -> Probe {
    match provider {
        ProviderId::Bcdiploma => bcdiploma::probe(&bcdiploma::Target {
            base: base.to_string(),
            token: secret.clone(),
        }),
        ProviderId::Origin => origin::probe(&origin::Target {
            base: base.to_string(),
            token: secret.clone(),
        }),
        ProviderId::Digicert => digicert::probe(&digicert::Target {
            base: base.to_string(),
            api_key: secret.clone(),
        }),
        ProviderId::Sertifika => sertifika::probe(&sertifika::Target {
            base: base.to_string(),
            token: secret.clone(),
            company: extra("company_id"),
        }),
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
            after_lost_attempt: false,
        }
    }

    /// IDs as if given on the command line, checked by `check`.
    pub fn ids(list: &[&str], check: Check) -> Ids {
        crate::input::open(
            list.iter().map(|s| s.to_string()).collect(),
            None,
            check,
            crate::input::Resumed::default(),
        )
        .expect("test IDs are valid")
    }
}
