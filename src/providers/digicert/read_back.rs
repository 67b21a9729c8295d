//! Reading DigiCert back for revokes whose outcome is unknown (README, "When a run
//! is cut or its outcome is unknown"): one order or certificate at a time, or, for
//! many orders, the account's revoke requests and revoked orders page by page.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde_json::Value;

use super::{By, DigicertId, Target, code_has, error, error_entries};
use crate::engine::reconcile::{Locator, Pending, Read, ReadBack, ReadVerdict, Reading, Settled};
use crate::engine::request::{Method, Response};
use crate::engine::{Account, Unit};
use crate::error::{ErrorKind, ItemError, unreadable_error};

/// The read-back of a revoke whose outcome is unknown (README, "When a run is cut
/// or its outcome is unknown"): an order is read with `GET /order/certificate/ID`;
/// a certificate is found through the order list filtered by `certificate_id` (or
/// `serial_number`), then its order is read. The revoke is there when the order or
/// certificate is `revoked`, or when the order holds a revoke request that is
/// `submitted`, `pending` or `approved`; it is not when the order has none (or only
/// rejected ones). A 404 `not_found|order` is "not applied, not found"; a 404
/// without DigiCert's error body is a read that failed.
pub(super) fn orders(account: &Account, items: Vec<Pending>, reading: Reading) -> ReadBack {
    let target = Target::of(account);
    let mut back = ReadBack::default();
    let mut orders = Vec::with_capacity(items.len());
    for p in items {
        match DigicertId::parse(&p.id) {
            Ok(id) => orders.push((p.id, id)),
            Err(why) => back.settled.push((p.id, Settled::Unknown(why))),
        }
    }
    if reading == Reading::Listed && orders.len() >= LIST_FROM {
        let listing = Listing {
            target,
            wanted: orders.iter().map(|(_, id)| id.0).collect(),
            orders,
            applied: HashMap::new(),
            pages: 0,
        };
        back.reads.push(listing.page(Stage::Requests, 0));
    } else {
        back.reads.extend(
            orders
                .into_iter()
                .map(|(item, id)| read_order(&target, id, item, None)),
        );
    }
    back
}

/// From how many unknown orders the account's lists are worth reading: below it,
/// one read per order is at most as many requests as two lists of one page.
const LIST_FROM: usize = 50;

/// Objects per page of DigiCert's lists (the most the API gives).
const PAGE: usize = 1000;

/// Which list is being paged through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// `GET /request?filters[type]=revoke`: every revoke request and its order.
    Requests,
    /// `GET /order/certificate?filters[status]=revoked`: orders revoked at once
    /// (`skip_approval` files no request).
    Revoked,
}

/// Many unknown order revokes, settled from the account's lists: an order is
/// applied when a revoke request of it is `submitted`, `pending` or `approved`, or
/// when it is `revoked`, exactly as reading the order shows; otherwise it is not.
/// Each page's read carries what the pages before it showed.
#[derive(Debug, Clone)]
struct Listing {
    target: Target,
    /// The items and their order IDs, in the order they are reported.
    orders: Vec<(String, DigicertId)>,
    /// Their order IDs, to keep only what concerns them.
    wanted: HashSet<u64>,
    /// What showed each applied order's revoke, by order ID.
    applied: HashMap<u64, String>,
    /// Pages read so far.
    pages: usize,
}

impl Listing {
    /// The read of page `offset` of the `stage` list.
    fn page(self, stage: Stage, offset: usize) -> Read {
        let path = match stage {
            Stage::Requests => {
                format!("/request?filters[type]=revoke&limit={PAGE}&offset={offset}")
            }
            Stage::Revoked => {
                format!("/order/certificate?filters[status]=revoked&limit={PAGE}&offset={offset}")
            }
        };
        let request = self.target.request(Method::Get, &path, None);
        let ids = self.orders.iter().map(|(item, _)| item.clone()).collect();
        Read {
            ids,
            request,
            judge: Arc::new(move |_: &[String], resp: &Response| self.judge(stage, offset, resp)),
        }
    }

    /// One read per order instead, when the lists would take more requests.
    fn one_by_one(&self) -> ReadVerdict {
        ReadVerdict::Split(
            self.orders
                .iter()
                .map(|(item, id)| read_order(&self.target, *id, item.clone(), None))
                .collect(),
        )
    }

    /// Takes a page of `stage` at `offset`: the next page, the next list, or each
    /// order's state once both lists are read.
    fn judge(&self, stage: Stage, offset: usize, resp: &Response) -> ReadVerdict {
        if !resp.is_success() {
            return ReadVerdict::Failed(error(resp));
        }
        let key = match stage {
            Stage::Requests => "requests",
            Stage::Revoked => "orders",
        };
        let Some(body) = resp.json() else {
            return ReadVerdict::Failed(unreadable_error(resp.status, &resp.body));
        };
        let Some(list) = body.get(key).and_then(Value::as_array) else {
            return ReadVerdict::Failed(ItemError::new(
                ErrorKind::InvalidResponse,
                format!("DigiCert's list has no `{key}` array"),
            ));
        };
        let total = body
            .get("page")
            .and_then(|p| p.get("total"))
            .and_then(Value::as_u64)
            .map(|t| t as usize);
        let mut next = self.clone();
        next.pages += 1;
        if offset == 0 {
            // This list's pages, and one at least of the next: more than one read
            // per order, and reading each order is cheaper.
            let ahead =
                total.unwrap_or(0).div_ceil(PAGE).max(1) + usize::from(stage == Stage::Requests);
            if self.pages + ahead > self.orders.len() {
                return self.one_by_one();
            }
        }
        for entry in list {
            next.take(stage, entry);
        }
        let more = list.len() >= PAGE && total.is_some_and(|t| offset + list.len() < t);
        match (more, stage) {
            (true, _) => ReadVerdict::Then(next.page(stage, offset + list.len())),
            (false, Stage::Requests) => ReadVerdict::Then(next.page(Stage::Revoked, 0)),
            (false, Stage::Revoked) => ReadVerdict::Each(next.settle()),
        }
    }

    /// Notes what one entry of a list shows of a wanted order.
    fn take(&mut self, stage: Stage, entry: &Value) {
        let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or("").to_ascii_lowercase();
        match stage {
            Stage::Requests => {
                let order = entry
                    .get("order")
                    .and_then(|o| o.get("id"))
                    .and_then(Value::as_u64);
                let status = text(entry.get("status"));
                let open = ["submitted", "pending", "approved"].contains(&status.as_str());
                if let Some(order) = order.filter(|o| self.wanted.contains(o))
                    && text(entry.get("type")) == "revoke"
                    && open
                {
                    let id = entry
                        .get("id")
                        .map_or_else(String::new, |v| format!(" {v}"));
                    self.applied
                        .entry(order)
                        .or_insert_with(|| format!("revoke request{id} is {status}"));
                }
            }
            Stage::Revoked => {
                let order = entry.get("id").and_then(Value::as_u64);
                if let Some(order) = order.filter(|o| self.wanted.contains(o))
                    && text(entry.get("status")) == "revoked"
                {
                    self.applied
                        .insert(order, format!("order {order} is revoked"));
                }
            }
        }
    }

    /// Each order's state, in the items' order.
    fn settle(&self) -> Vec<Settled> {
        self.orders
            .iter()
            .map(|(_, id)| match self.applied.get(&id.0) {
                Some(evidence) => Settled::Applied(evidence.clone()),
                None => Settled::not_applied(format!(
                    "order {id} is not revoked and has no open revoke request"
                )),
            })
            .collect()
    }
}

/// [`orders`] for certificates: found in the order list, then their order.
pub(super) fn certificates(account: &Account, items: Vec<Pending>, _: Reading) -> ReadBack {
    let target = Target::of(account);
    let mut back = ReadBack::default();
    for p in items {
        let by = if p.locator.by_serial {
            By::Serial
        } else {
            By::Id
        };
        match by.segment(&p.id) {
            Ok(segment) => back
                .reads
                .push(read_certificate(&target, by, segment, p.id)),
            Err(why) => back.settled.push((p.id, Settled::Unknown(why))),
        }
    }
    back
}

/// Whether a planned certificate revoke names its certificate by serial: a plan
/// keeps the request, not the flag, and a path segment that is not the item as
/// given, or that has hex letters, was a serial.
pub(super) fn locate_certificates(unit: &Unit) -> Locator {
    let segment = unit.request.url.rsplit('/').nth(1).unwrap_or_default();
    let by_serial = unit
        .ids
        .first()
        .is_some_and(|id| id != segment || !id.bytes().all(|b| b.is_ascii_digit()));
    Locator {
        by_serial,
        ..Locator::default()
    }
}

/// Reads order `order` for item `id`; `cert` names the certificate in the evidence
/// when the item is one.
fn read_order(target: &Target, order: DigicertId, id: String, cert: Option<String>) -> Read {
    Read {
        ids: vec![id],
        request: target.request(Method::Get, &format!("/order/certificate/{order}"), None),
        judge: Arc::new(move |_ids: &[String], resp: &Response| {
            ReadVerdict::All(match judge_order(order, resp) {
                Ok(settled) => match (&cert, settled) {
                    (Some(cert), Settled::NotApplied { evidence, kind: _ }) => {
                        Settled::not_applied(format!(
                            "certificate {cert} is not revoked and {evidence}"
                        ))
                    }
                    (_, settled) => settled,
                },
                Err(e) => return ReadVerdict::Failed(e),
            })
        }),
    }
}

/// What an order's details say of a revoke.
fn judge_order(order: DigicertId, resp: &Response) -> Result<Settled, ItemError> {
    if resp.status == 404 && is_not_found(resp, "order") {
        return Ok(Settled::NotApplied {
            evidence: format!("DigiCert has no order {order}"),
            kind: Some(ErrorKind::NotFound),
        });
    }
    if !resp.is_success() {
        return Err(error(resp));
    }
    let Some(body) = resp.json().filter(Value::is_object) else {
        return Err(unreadable_error(resp.status, &resp.body));
    };
    let status = body.get("status").and_then(Value::as_str).unwrap_or("");
    if status.eq_ignore_ascii_case("revoked") {
        return Ok(Settled::Applied(format!("order {order} is revoked")));
    }
    let requests = body.get("requests").and_then(Value::as_array);
    let revokes: Vec<&Value> = requests
        .into_iter()
        .flatten()
        .filter(|r| {
            r.get("type")
                .and_then(Value::as_str)
                .is_some_and(|t| t.eq_ignore_ascii_case("revoke"))
        })
        .collect();
    let open = revokes.iter().find(|r| {
        r.get("status").and_then(Value::as_str).is_some_and(|s| {
            ["submitted", "pending", "approved"]
                .iter()
                .any(|o| s.eq_ignore_ascii_case(o))
        })
    });
    if let Some(r) = open {
        let id = r.get("id").map_or_else(String::new, |v| {
            format!(" {}", v.to_string().trim_matches('"'))
        });
        let state = r.get("status").and_then(Value::as_str).unwrap_or("open");
        return Ok(Settled::Applied(format!("revoke request{id} is {state}")));
    }
    if requests.is_none() && status.is_empty() {
        return Err(ItemError::new(
            ErrorKind::InvalidResponse,
            "DigiCert's order has neither a status nor requests",
        ));
    }
    let shown = if status.is_empty() {
        "not revoked"
    } else {
        status
    };
    Ok(Settled::not_applied(if revokes.is_empty() {
        format!("order {order} is {shown} with no revoke request")
    } else {
        format!("order {order} is {shown} and its revoke requests were rejected")
    }))
}

/// Whether a 404 carries DigiCert's own "no such `what`" code (`not_found|order`),
/// not a proxy's page or an unknown route.
fn is_not_found(resp: &Response, what: &str) -> bool {
    let Some(body) = resp.json() else {
        return false;
    };
    error_entries(&body).iter().any(|e| {
        e.get("code")
            .and_then(Value::as_str)
            .is_some_and(|c| code_has(c, "not_found") && code_has(c, what))
    })
}

/// Finds certificate `segment` in the order list, then reads its order.
fn read_certificate(target: &Target, by: By, segment: String, id: String) -> Read {
    let filter = match by {
        By::Id => "certificate_id",
        By::Serial => "serial_number",
    };
    let next = target.clone();
    Read {
        ids: vec![id],
        request: target.request(
            Method::Get,
            &format!("/order/certificate?filters[{filter}]={segment}"),
            None,
        ),
        judge: Arc::new(move |ids: &[String], resp: &Response| {
            if !resp.is_success() {
                return ReadVerdict::Failed(error(resp));
            }
            let Some(body) = resp.json() else {
                return ReadVerdict::Failed(unreadable_error(resp.status, &resp.body));
            };
            let orders = body.get("orders").and_then(Value::as_array);
            let matches = |o: &&Value| {
                let cert = o.get("certificate");
                let field = |k: &str| {
                    cert.and_then(|c| c.get(k)).map(|v| match v {
                        Value::String(s) => s.to_ascii_lowercase().replace(':', ""),
                        other => other.to_string(),
                    })
                };
                match by {
                    By::Id => field("id").as_deref() == Some(segment.as_str()),
                    By::Serial => field("serial_number").as_deref() == Some(segment.as_str()),
                }
            };
            let Some(order) = orders.into_iter().flatten().find(matches) else {
                return ReadVerdict::All(Settled::Unknown(format!(
                    "no order lists certificate {segment}"
                )));
            };
            let cert_status = order
                .get("certificate")
                .and_then(|c| c.get("status"))
                .and_then(Value::as_str)
                .unwrap_or("");
            if cert_status.eq_ignore_ascii_case("revoked") {
                return ReadVerdict::All(Settled::Applied(format!(
                    "certificate {segment} is revoked"
                )));
            }
            let order_id = order.get("id").and_then(|v| match v {
                Value::Number(n) => n
                    .as_u64()
                    .and_then(|n| DigicertId::parse(&n.to_string()).ok()),
                Value::String(s) => DigicertId::parse(s).ok(),
                _ => None,
            });
            match order_id {
                Some(o) => ReadVerdict::Then(read_order(
                    &next,
                    o,
                    ids.first().cloned().unwrap_or_default(),
                    Some(segment.clone()),
                )),
                None => ReadVerdict::Failed(ItemError::new(
                    ErrorKind::InvalidResponse,
                    "the order listing certificate has no readable `id`",
                )),
            }
        }),
    }
}
