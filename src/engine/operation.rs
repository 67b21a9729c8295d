//! What an adapter hands the engine: an [`Operation`] of lazily built [`Unit`]s
//! (requests and the items they decide), run by the rules of its [`Spec`], whose
//! [`Judge`] turns each answer into a [`Verdict`].

use std::time::Duration;

use super::request::{Request, Response};
use crate::error::{ItemError, Result};
use crate::input::Passed;
use crate::registry::ProviderId;
use crate::report::Reply;
use crate::secret::Secret;

/// One request and the items it covers.
#[derive(Debug, Clone)]
pub struct Unit {
    /// The IDs whose outcome this request decides, in input order.
    pub ids: Vec<String>,
    /// The request to send.
    pub request: Request,
}

/// What an operation's stream of work yields, in input order: a unit to send, or
/// an item `--resume` passed over, which the engine counts and reports in its place.
#[derive(Debug, Clone)]
pub enum Step {
    /// A request to send.
    Send(Unit),
    /// An item not sent, and why.
    Passed(Passed),
}

impl Step {
    /// The unit of a step that sends one (a test's shortcut).
    #[cfg(test)]
    pub fn unit(self) -> Unit {
        match self {
            Step::Send(unit) => unit,
            Step::Passed(passed) => panic!("not a unit: {passed:?}"),
        }
    }
}

impl From<Unit> for Step {
    fn from(unit: Unit) -> Step {
        Step::Send(unit)
    }
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

/// The rules of one state-changing operation, written once in its adapter's table
/// of specs: every way of running it (the command, `certctl apply`, `--plan-out`,
/// `--resume`) reads them from here, so they cannot drift apart.
#[derive(Debug)]
pub struct Spec {
    /// The provider it runs against.
    pub provider: ProviderId,
    /// Its name in reports, plans and the journal (`certificates.delete`).
    pub name: &'static str,
    /// Whether it asks for confirmation.
    pub irreversible: bool,
    /// Whether a request may be sent again after it may have reached the server.
    pub idempotent: bool,
    /// Judges each answer.
    pub judge: Judge,
    /// How its unknown items are read back from the provider (`certctl reconcile`,
    /// and `--resume` before sending); `None` for an operation safe to send twice,
    /// whose items are never left unknown.
    pub read_back: Option<super::reconcile::ReadBackFn>,
    /// What the journal records to find the items of a planned request again: a
    /// plan keeps the requests, not the flags they were made with.
    pub locate: fn(&Unit) -> super::reconcile::Locator,
    /// The command that shows a result still pending, given its URL (Origin's
    /// `certctl origin results show`); `None` for an operation with no pending
    /// results.
    pub follow: Option<&'static str>,
}

impl Spec {
    /// How to see the pending result at `url` later: the command, quoted.
    pub fn follow_up(&self, url: &str) -> String {
        match self.follow {
            Some(command) => format!("`{command} {url}`"),
            None => format!("`{url}`"),
        }
    }
}

/// Turns an answer to a unit's request into a verdict. The answer to a poll comes
/// with the poll as the unit's request, so a judge tells a poll's answer from the
/// first one by the request alone and keeps no state of its own.
pub type Judge = fn(&Unit, &Response, &Judging<'_>) -> Verdict;

/// Where the account of a run lives and how to reach it: what a judge needs to
/// follow an answer (a callback must point to this host, and a poll carries the
/// credential).
#[derive(Debug, Clone)]
pub struct Account {
    /// The base URL, without a trailing `/`.
    pub base: String,
    /// The credential.
    pub secret: Secret,
}

/// What a [`Judge`] is told besides the answer.
#[derive(Debug, Clone, Copy)]
pub struct Judging<'a> {
    /// The account the run is against.
    pub account: &'a Account,
    /// Whether pending results are followed until final (`--wait`).
    pub follow: bool,
}

/// An operation an adapter built: its rules, and its requests, lazily.
pub struct Operation {
    /// Its rules: provider, name, confirmation, idempotency and judge.
    pub spec: &'static Spec,
    /// The account its requests go to, for the judge.
    pub account: Account,
    /// The requests (and the items `--resume` passed over), built as they are
    /// needed; an `Err` stops the run.
    pub units: Box<dyn Iterator<Item = Result<Step>> + Send>,
    /// How many items there are, when known before sending.
    pub count: Option<usize>,
    /// How many requests there will be, when known (sizes the progress bar).
    pub requests: Option<usize>,
    /// The first few IDs, for the confirmation prompt.
    pub preview: Vec<String>,
    /// With `--wait`: how long pending results are polled before giving up.
    pub wait: Option<Duration>,
    /// Remarks printed with the report (such as a skipped check in a dry run).
    pub notes: Vec<String>,
    /// What the journal records so a later read-back can find the items.
    pub locator: super::reconcile::Locator,
}

impl Operation {
    /// An operation of `spec` against `account`, its requests built by `units`.
    pub fn new(
        spec: &'static Spec,
        account: Account,
        units: impl Iterator<Item = Result<Step>> + Send + 'static,
    ) -> Operation {
        Operation {
            spec,
            account,
            units: Box::new(units),
            count: None,
            requests: None,
            preview: Vec::new(),
            wait: None,
            notes: Vec::new(),
            locator: super::reconcile::Locator::default(),
        }
    }

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

    /// The verdict of this operation's judge on `resp`, the answer to `unit`.
    #[cfg(test)]
    pub fn judge(&self, unit: &Unit, resp: &Response) -> Verdict {
        (self.spec.judge)(
            unit,
            resp,
            &Judging {
                account: &self.account,
                follow: self.wait.is_some(),
            },
        )
    }
}
