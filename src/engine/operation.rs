//! What an adapter hands the engine: an [`Operation`] of lazily built [`Unit`]s
//! (requests and the items they decide), and the [`Interpret`] that turns each
//! answer into a [`Verdict`].

use std::sync::Arc;
use std::time::Duration;

use super::request::{Request, Response};
use crate::error::{ItemError, Result};
use crate::registry::ProviderId;
use crate::report::Reply;

/// One request and the items it covers.
#[derive(Debug, Clone)]
pub struct Unit {
    /// The IDs whose outcome this request decides, in input order.
    pub ids: Vec<String>,
    /// The request to send.
    pub request: Request,
}

/// What an adapter makes of an answer.
#[derive(Debug, Clone)]
pub enum Verdict {
    /// Every item of the unit shares this outcome (a batched request).
    All(Result<Option<Reply>, ItemError>),
    /// One outcome per item, in the unit's order (Sertifika issuing).
    Each(Vec<Result<Option<Reply>, ItemError>>),
    /// Not final yet: send this request later and judge its answer (Origin `--wait`).
    Pending(Request),
}

/// Turns an answer to a unit's request into a verdict. The answer to a poll comes
/// with the poll as the unit's request, so an adapter tells a poll's answer from
/// the first one by the request alone and keeps no state of its own.
pub type Interpret = dyn Fn(&Unit, &Response) -> Verdict + Send + Sync;

/// An operation an adapter built: what it is, and its requests, lazily.
pub struct Operation {
    /// The provider it runs against.
    pub provider: ProviderId,
    /// Its name in reports and the journal (`certificates.delete`).
    pub name: &'static str,
    /// Whether it asks for confirmation.
    pub irreversible: bool,
    /// Whether a request may be sent again after it may have reached the server.
    pub idempotent: bool,
    /// The requests, built as they are needed; an `Err` stops the run.
    pub units: Box<dyn Iterator<Item = Result<Unit>> + Send>,
    /// How many items there are, when known before sending.
    pub count: Option<usize>,
    /// How many requests there will be, when known (sizes the progress bar).
    pub requests: Option<usize>,
    /// The first few IDs, for the confirmation prompt.
    pub preview: Vec<String>,
    /// Judges each answer.
    pub interpret: Arc<Interpret>,
    /// With `--wait`: how long pending results are polled before giving up.
    pub wait: Option<Duration>,
    /// Remarks printed with the report (such as a skipped check in a dry run).
    pub notes: Vec<String>,
}

impl Operation {
    /// Records what is known up front: the item count and preview (for the prompt)
    /// and the request count (for the progress bar).
    pub fn sized(
        mut self,
        count: Option<usize>,
        requests: Option<usize>,
        preview: Vec<String>,
    ) -> Self {
        self.count = count;
        self.requests = requests;
        self.preview = preview;
        self
    }
}
