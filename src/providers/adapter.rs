//! What an adapter is to the rest of certctl ([`Adapter`], with the [`Probe`] and
//! [`Replay`] it gives and the [`Endpoint`] it is given), and the pieces every
//! adapter builds its operations from.

use crate::engine::request::Request;
use crate::engine::{Operation, Unit};
use crate::error::Result;
use crate::input::Ids;
use crate::registry::ProviderId;
use crate::secret::Secret;

/// The read-only request `certctl check` sends to a provider, and whether its answer
/// says anything about the credential (BCdiploma and Origin document no read-only
/// request: their probe only shows the host is there and does not refuse the token).
pub struct Probe {
    /// The request.
    pub request: Request,
    /// Whether a 2xx answer proves the credential was accepted.
    pub verifies_credential: bool,
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

/// What every adapter offers the commands that are not a provider's own (`check`,
/// `apply`, `--plan-out`), so that those commands never name a provider.
pub trait Adapter: Sync {
    /// The check probe of the account at `at`.
    fn probe(&self, at: &Endpoint<'_>) -> Probe;

    /// The rules of the state-changing operation named `operation`, for a plan
    /// applied to `at`; `None` for a name that is not one (reads are never planned).
    fn replay(&self, operation: &str, at: &Endpoint<'_>) -> Option<Replay>;
}

/// Where an account lives and how to reach it, as the commands that are not a
/// provider's own hold it: each adapter makes its own target of it.
pub struct Endpoint<'a> {
    /// The base URL, without a trailing `/`.
    pub base: &'a str,
    /// The credential.
    pub secret: &'a Secret,
    /// The value of one of the provider's other settings (Sertifika's `company_id`),
    /// empty when unset.
    pub extra: &'a dyn Fn(&'static str) -> String,
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
