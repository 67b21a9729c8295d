//! The JSON the emulated DigiCert API shows orders and requests in, written from
//! copies of their state so that big pages are serialised outside the emulator's
//! lock: the live shapes of the order list (`{"orders":[...],"page":{...}}`), the
//! order info (with its `requests[]`) and the request list and info.

use serde::Serialize;

use super::seed::{self, ADMIN, Kind, Named, Product, Profile, RequestStatus, Status, User};

/// What a revoke request revokes; other requests are about an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Target {
    Order(u64),
    Certificate(u64),
}

impl Target {
    pub(super) fn stats_key(self) -> String {
        match self {
            Target::Order(id) => format!("digicert:order:{id}"),
            Target::Certificate(id) => format!("digicert:certificate:{id}"),
        }
    }
}

/// A request as held: seeded ones borrow their comment.
#[derive(Debug, Clone)]
pub(super) struct Request {
    /// When it was filed, in seconds since 1970.
    pub(super) date: u64,
    /// Revoke, new order, duplicate or reissue.
    pub(super) kind: Kind,
    /// Where it stands: submitted, pending, approved or rejected.
    pub(super) status: RequestStatus,
    /// What it is about.
    pub(super) target: Target,
    /// The requester's comment (`comments` of the revoke body).
    pub(super) comments: std::borrow::Cow<'static, str>,
    /// The `revocation_reason` of a revoke, as the API spells it.
    pub(super) reason: Option<String>,
    /// The approver's or rejecter's comment.
    pub(super) processor_comment: Option<String>,
    /// When it was approved or rejected, in seconds since 1970.
    pub(super) processed: Option<u64>,
}

/// An order's changing state, copied out of the lock to be shown.
#[derive(Debug, Clone, Copy)]
pub(super) struct OrderState {
    /// The order ID; everything that never changes follows from it.
    pub(super) id: u64,
    /// The order's status now.
    pub(super) status: Status,
    /// Its certificate's status now.
    pub(super) certificate: Status,
}

#[derive(Serialize)]
struct IdOnly {
    id: u64,
}

#[derive(Serialize)]
struct RequestJson<'a> {
    id: u64,
    date: String,
    #[serde(rename = "type")]
    kind: &'static str,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    date_processed: Option<String>,
    requester: &'static User,
    comments: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    order: Option<IdOnly>,
    #[serde(skip_serializing_if = "Option::is_none")]
    certificate: Option<IdOnly>,
    #[serde(skip_serializing_if = "Option::is_none")]
    revocation_reason: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    processor_comment: Option<&'a str>,
}

fn request_json(id: u64, r: &Request) -> RequestJson<'_> {
    let (order, certificate) = match r.target {
        Target::Order(id) => (Some(IdOnly { id }), None),
        Target::Certificate(id) => (None, Some(IdOnly { id })),
    };
    RequestJson {
        id,
        date: seed::timestamp(r.date),
        kind: r.kind.as_str(),
        status: r.status.as_str(),
        date_processed: r.processed.map(seed::timestamp),
        requester: &ADMIN,
        comments: &r.comments,
        order,
        certificate,
        revocation_reason: r.reason.as_deref(),
        processor_comment: r.processor_comment.as_deref(),
    }
}

/// An entry of an order's `requests[]`.
#[derive(Serialize)]
struct RequestBrief<'a> {
    id: u64,
    date: String,
    #[serde(rename = "type")]
    kind: &'static str,
    status: &'static str,
    comments: &'a str,
}

#[derive(Serialize)]
struct CertificateJson {
    id: u64,
    serial_number: String,
    common_name: String,
    dns_names: [String; 2],
    valid_from: String,
    valid_till: String,
    signature_hash: &'static str,
    status: &'static str,
}

/// An organization, or `[]` as some accounts answer for it.
#[derive(Serialize)]
#[serde(untagged)]
enum Organization {
    Known(&'static Named),
    Empty([u8; 0]),
}

#[derive(Serialize)]
struct OrderJson<'a> {
    id: u64,
    certificate: CertificateJson,
    status: &'static str,
    is_renewed: bool,
    date_created: String,
    organization: Organization,
    validity_years: u8,
    container: &'static Named,
    product: &'static Product,
    user: &'static User,
    #[serde(skip_serializing_if = "Option::is_none")]
    requests: Option<Vec<RequestBrief<'a>>>,
}

fn order_json<'a>(order: &OrderState, requests: Option<&'a [(u64, Request)]>) -> OrderJson<'a> {
    let p = Profile::of(order.id);
    let certificate = seed::certificate_of(order.id);
    OrderJson {
        id: order.id,
        certificate: CertificateJson {
            id: certificate,
            serial_number: seed::serial_of(certificate),
            common_name: p.common_name(),
            dns_names: p.dns_names(),
            valid_from: p.valid_from(),
            valid_till: p.valid_till(),
            signature_hash: "sha256",
            status: order.certificate.as_str(),
        },
        status: order.status.as_str(),
        is_renewed: false,
        date_created: seed::timestamp(p.created()),
        organization: p
            .organization()
            .map_or(Organization::Empty([]), Organization::Known),
        validity_years: 1,
        container: p.container(),
        product: p.product(),
        user: p.owner(),
        requests: requests.map(|list| {
            list.iter()
                .map(|(id, r)| RequestBrief {
                    id: *id,
                    date: seed::timestamp(r.date),
                    kind: r.kind.as_str(),
                    status: r.status.as_str(),
                    comments: &r.comments,
                })
                .collect()
        }),
    }
}

/// `page` of a list answer.
#[derive(Debug, Clone, Copy, Serialize)]
pub(super) struct PageInfo {
    /// How many objects the filters select, on every page.
    pub(super) total: usize,
    /// The page size asked for.
    pub(super) limit: usize,
    /// The index of the page's first object.
    pub(super) offset: usize,
}

fn to_vec(value: &impl Serialize) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}

/// The order list answer.
pub(super) fn orders_page(orders: &[OrderState], page: PageInfo) -> Vec<u8> {
    #[derive(Serialize)]
    struct Answer<'a> {
        orders: Vec<OrderJson<'a>>,
        page: PageInfo,
    }
    to_vec(&Answer {
        orders: orders.iter().map(|o| order_json(o, None)).collect(),
        page,
    })
}

/// The order info answer, with its requests.
pub(super) fn order(order: &OrderState, requests: &[(u64, Request)]) -> Vec<u8> {
    to_vec(&order_json(order, Some(requests)))
}

/// The request list answer.
pub(super) fn requests_page(requests: &[(u64, Request)], page: PageInfo) -> Vec<u8> {
    #[derive(Serialize)]
    struct Answer<'a> {
        requests: Vec<RequestJson<'a>>,
        page: PageInfo,
    }
    to_vec(&Answer {
        requests: requests
            .iter()
            .map(|(id, r)| request_json(*id, r))
            .collect(),
        page,
    })
}

/// The request info answer.
pub(super) fn request(id: u64, request: &Request) -> serde_json::Value {
    serde_json::to_value(request_json(id, request)).unwrap_or_default()
}
