//! Reading back what a run left unknown: the adapters say which read-only requests
//! tell whether a change is there ([`ReadBack`]), the engine sends them like any
//! read (paced, retried, `--concurrency` at a time) and hands back each item's
//! [`Settled`] state. `certctl reconcile` and `--resume` both come through here
//! (README, "When a run is cut or its outcome is unknown").

use std::sync::Arc;

use futures_util::stream::{FuturesUnordered, StreamExt};

use super::client::Failure;
use super::operation::Account;
use super::rate::{Pace, Pacer};
use super::request::{Request, Response};
use super::setup::Engine;
use super::stop::Stop;
use crate::error::{ErrorKind, ItemError, Result, io_error};
use crate::output::DryRun;
use crate::registry::ProviderId;

/// What the journal recorded, besides an item's ID, to find it again at the
/// provider: only what a read-back needs, never a request body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Locator {
    /// Sertifika issuing: the template the rows were issued from.
    pub template: Option<String>,
    /// DigiCert certificate revokes: the items are serial numbers, not IDs.
    pub by_serial: bool,
    /// Origin deletes: the items are `externalId`s, which no read can find.
    pub external: bool,
    /// Origin async deletes: the batch's result URL, once the API answered it.
    pub callback: Option<String>,
}

/// An item whose outcome is unknown, to be read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// The item's ID as it was given.
    pub id: String,
    /// What was recorded to find it.
    pub locator: Locator,
}

/// What the provider showed of one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settled {
    /// The change is there: the evidence says what showed it.
    Applied(String),
    /// The item is unchanged; `not_found` when the provider has no such item.
    NotApplied {
        /// What showed it.
        evidence: String,
        /// `Some(NotFound)` when the item does not exist at all.
        kind: Option<ErrorKind>,
    },
    /// The provider cannot tell (no read for it, the read failed, still pending).
    Unknown(String),
}

impl Settled {
    /// `applied`, `not_applied` or `unknown`, as reports and the journal name it.
    pub fn as_str(&self) -> &'static str {
        match self {
            Settled::Applied(_) => "applied",
            Settled::NotApplied { .. } => "not_applied",
            Settled::Unknown(_) => "unknown",
        }
    }

    /// The few words that say why.
    pub fn evidence(&self) -> &str {
        match self {
            Settled::Applied(e) | Settled::NotApplied { evidence: e, .. } | Settled::Unknown(e) => {
                e
            }
        }
    }

    /// Not applied, with the evidence.
    pub fn not_applied(evidence: impl Into<String>) -> Settled {
        Settled::NotApplied {
            evidence: evidence.into(),
            kind: None,
        }
    }
}

/// Judges a read's answer for the items it covers.
pub type ReadJudge = Arc<dyn Fn(&[String], &Response) -> ReadVerdict + Send + Sync>;

/// One read-only request and the items its answer settles.
#[derive(Clone)]
pub struct Read {
    /// The items it settles, in order.
    pub ids: Vec<String>,
    /// The request.
    pub request: Request,
    /// Turns its answer into each item's state.
    pub judge: ReadJudge,
}

/// What an adapter makes of a read's answer.
pub enum ReadVerdict {
    /// One state for every item of the read.
    All(Settled),
    /// One state per item, in the read's order.
    Each(Vec<Settled>),
    /// Not decided yet: this read tells (a certificate's order, after the certificate;
    /// the next page of a list).
    Then(Read),
    /// Not decided here: these reads tell, each for its own items (a list too long
    /// to page through, given up for one read per item).
    Split(Vec<Read>),
    /// The read failed: the items stay unknown with this reason (`auth` when the
    /// credentials were refused).
    Failed(ItemError),
}

/// The reads of a set of unknown items, and the items no read can settle.
#[derive(Default)]
pub struct ReadBack {
    /// Requests to send.
    pub reads: Vec<Read>,
    /// Items settled without a read (left unknown, with why).
    pub settled: Vec<(String, Settled)>,
}

/// How the reads of a reconcile ended.
#[derive(Debug, Default)]
pub struct Reconciled {
    /// Each item with its state, in the order the reads finished.
    pub items: Vec<(String, Settled)>,
    /// The credentials were refused by some read.
    pub auth_refused: Option<ItemError>,
}

/// How the unknown items are read: through the account's lists where an operation
/// has them and they cost fewer requests (DigiCert's revoke requests), or one by
/// one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// Lists where they are cheaper.
    Listed,
    /// One read per item (`certctl reconcile --one-by-one`).
    OneByOne,
}

/// Builds the reads of an operation's unknown items at an account.
pub type ReadBackFn = fn(&Account, Vec<Pending>, Reading) -> ReadBack;

/// What one read (and those it led to) ended with.
enum Step {
    /// Its items' states.
    Settled(Vec<(String, std::result::Result<Settled, ItemError>)>),
    /// Reads to send instead.
    More(Vec<Read>),
}

impl Engine {
    /// Sends the reads of `back` `--concurrency` at a time through one pacer,
    /// retried like any read, and returns each item's state. In a dry run the
    /// reads are printed (as `operation` of `provider`) and `None` is returned.
    pub async fn reconcile(
        &self,
        provider: ProviderId,
        operation: &str,
        back: ReadBack,
        pace: Pace,
    ) -> Result<Option<Reconciled>> {
        let ReadBack { reads, settled } = back;
        if self.dry_run {
            let mut printer =
                DryRun::start(self.format, provider.name(), operation).map_err(io_error)?;
            for read in &reads {
                printer.request(&read.request).map_err(io_error)?;
            }
            let notes = [format!(
                "reconcile reads only: {} read(s) for the unknown items, and {} item(s) no read can settle",
                reads.len(),
                settled.len()
            )];
            printer.finish(&notes).map_err(io_error)?;
            return Ok(None);
        }
        let mut done = Reconciled {
            items: settled,
            auth_refused: None,
        };
        let pacer = Pacer::new(pace);
        let mut queue: std::collections::VecDeque<Read> = reads.into();
        let mut in_flight = FuturesUnordered::new();
        loop {
            while in_flight.len() < self.concurrency.max(1) {
                let Some(read) = queue.pop_front() else { break };
                in_flight.push(self.read_back(read, &pacer));
            }
            let Some(step) = in_flight.next().await else {
                break;
            };
            let items = match step {
                Step::Settled(items) => items,
                Step::More(reads) => {
                    queue.extend(reads);
                    continue;
                }
            };
            for (id, state) in items {
                if let Err(e) = &state
                    && e.kind == ErrorKind::Auth
                    && done.auth_refused.is_none()
                {
                    done.auth_refused = Some(e.clone());
                }
                let state = state.unwrap_or_else(|e| {
                    Settled::Unknown(format!("the read failed: {}", crate::report::describe(&e)))
                });
                done.items.push((id, state));
            }
        }
        Ok(Some(done))
    }

    /// Sends one read and those its answer leads to (a chain of pages at most as
    /// long as the items it settles, so that it never costs more than reading each),
    /// and settles its items.
    async fn read_back(&self, mut read: Read, pacer: &Pacer) -> Step {
        let steps = read.ids.len().max(4);
        for _ in 0..=steps {
            let verdict = match self
                .http
                .send(&read.request, true, pacer, &Stop::never())
                .await
            {
                Ok(resp) => (read.judge)(&read.ids, &resp),
                Err(Failure::Item(e)) => ReadVerdict::Failed(e),
                Err(Failure::NotSent) => ReadVerdict::Failed(ItemError::new(
                    ErrorKind::Interrupted,
                    "interrupted before the read was sent",
                )),
            };
            let ids = std::mem::take(&mut read.ids);
            return Step::Settled(match verdict {
                ReadVerdict::All(s) => ids.into_iter().map(|id| (id, Ok(s.clone()))).collect(),
                ReadVerdict::Each(list) => {
                    let mut list = list.into_iter();
                    ids.into_iter()
                        .map(|id| {
                            let s = list.next().unwrap_or_else(|| {
                                Settled::Unknown("the provider's answer did not mention it".into())
                            });
                            (id, Ok(s))
                        })
                        .collect()
                }
                ReadVerdict::Failed(e) => ids.into_iter().map(|id| (id, Err(e.clone()))).collect(),
                ReadVerdict::Split(reads) => return Step::More(reads),
                ReadVerdict::Then(next) => {
                    read = next;
                    continue;
                }
            });
        }
        let why = Settled::Unknown("the provider's answers led to no conclusion".into());
        Step::Settled(
            read.ids
                .into_iter()
                .map(|id| (id, Ok(why.clone())))
                .collect(),
        )
    }
}
