//! DigiCert's lists and order details: `GET {base}/order/certificate` with the API's
//! own filters, `GET {base}/request`, both paged by `limit=1000&offset=K`, and
//! `GET {base}/order/certificate/ORDER_ID`.
//!
//! Filters go in the query as `filters[NAME]=VALUE`, a repeated one as
//! `filters[NAME][0]=A&filters[NAME][1]=B`; `--search` is sent as `%TEXT`
//! ("contains"), `--expires-before` as `<DATE`. Values are percent-encoded, the
//! brackets of the names are written as the API documents them. Answers are
//! `{"orders":[...],"page":{"total":N,...}}` and `{"requests":[...],"page":{...}}`
//! (`page` may be missing: the engine then reads one page); their objects are
//! passed on as they came, so unknown statuses and `"organization": []` need no
//! care here.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::{DigicertId, Target, error, serial};
use crate::engine::list::{Listing, Page};
use crate::engine::request::{Method, Response};
use crate::error::ItemError;
use crate::output::Columns;
use crate::providers::adapter::page_of;
use crate::registry::ProviderId;

/// How many objects one list request asks for: the API's maximum.
pub const PAGE_SIZE: u64 = 1000;

/// What a query value keeps unencoded: RFC 3986's unreserved characters.
const VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The filters of `orders list`, each already checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderFilters {
    /// `--status`, in the order given.
    pub statuses: Vec<String>,
    /// `--common-name`: exact.
    pub common_name: Option<String>,
    /// `--domain`: the common name or any SAN.
    pub domain: Option<String>,
    /// `--search`: contained in the common name or e-mail.
    pub search: Option<String>,
    /// `--product`: a product name ID (`ssl_plus`).
    pub product: Option<String>,
    /// `--container`.
    pub container: Option<DigicertId>,
    /// `--serial`, as lowercase hex without colons.
    pub serial: Option<String>,
    /// `--certificate-id`.
    pub certificate: Option<DigicertId>,
    /// `--expires-before`, `YYYY-MM-DD`.
    pub expires_before: Option<String>,
}

impl OrderFilters {
    /// Reads `--serial` as `--by serial` does: `0A1B...` or `0a:1b:...`.
    pub fn set_serial(&mut self, text: &str) -> Result<(), String> {
        self.serial = Some(serial(text)?);
        Ok(())
    }

    /// Reads `--expires-before`: a calendar date, `YYYY-MM-DD`.
    pub fn set_expires_before(&mut self, text: &str) -> Result<(), String> {
        let text = text.trim();
        let well_formed = text.len() == 10
            && text.as_bytes()[4] == b'-'
            && text.as_bytes()[7] == b'-'
            && humantime::parse_rfc3339(&format!("{text}T00:00:00Z")).is_ok();
        if !well_formed {
            return Err(format!(
                "`{text}` is not a date: --expires-before takes YYYY-MM-DD, such as 2027-01-31"
            ));
        }
        self.expires_before = Some(text.to_owned());
        Ok(())
    }

    /// The `filters[...]` pairs, in a fixed order.
    fn pairs(&self) -> Vec<(String, String)> {
        let mut pairs = statuses(&self.statuses);
        let mut one = |name: &str, value: Option<String>| {
            if let Some(value) = value {
                pairs.push((format!("filters[{name}]"), value));
            }
        };
        one("common_name", self.common_name.clone());
        one("domain_name", self.domain.clone());
        one("search", self.search.as_ref().map(|s| format!("%{s}")));
        one("product_name_id", self.product.clone());
        one("container_id", self.container.map(|c| c.to_string()));
        one("serial_number", self.serial.clone());
        one("certificate_id", self.certificate.map(|c| c.to_string()));
        one(
            "valid_till",
            self.expires_before.as_ref().map(|d| format!("<{d}")),
        );
        pairs
    }
}

/// `filters[status]=S`, or `filters[status][0]=S1&filters[status][1]=S2` for several.
fn statuses(values: &[String]) -> Vec<(String, String)> {
    match values {
        [one] => vec![("filters[status]".to_owned(), one.clone())],
        many => many
            .iter()
            .enumerate()
            .map(|(n, s)| (format!("filters[status][{n}]"), s.clone()))
            .collect(),
    }
}

/// `PATH?filters...&limit=1000&offset=K`.
fn paged(path: &str, filters: &[(String, String)], offset: u64) -> String {
    let mut url = format!("{path}?");
    for (name, value) in filters {
        url.push_str(name);
        url.push('=');
        url.extend(utf8_percent_encode(value, VALUE));
        url.push('&');
    }
    url.push_str(&format!("limit={PAGE_SIZE}&offset={offset}"));
    url
}

/// The page of an answer whose objects are under `key`, or DigiCert's error.
fn split(resp: &Response, key: &str) -> Result<Page, ItemError> {
    if !resp.is_success() {
        return Err(error(resp));
    }
    page_of(&resp.body, key).ok_or_else(|| {
        ItemError::new(
            crate::error::ErrorKind::InvalidResponse,
            format!(
                "DigiCert answered HTTP {} without a `{key}` list",
                resp.status
            ),
        )
        .status(resp.status)
    })
}

fn orders_page(resp: &Response) -> Result<Page, ItemError> {
    split(resp, "orders")
}

fn requests_page(resp: &Response) -> Result<Page, ItemError> {
    split(resp, "requests")
}

/// `orders list`: the orders `filters` select, at most `limit`.
pub fn list_orders(target: &Target, filters: &OrderFilters, limit: Option<u64>) -> Listing {
    let target = target.clone();
    let pairs = filters.pairs();
    Listing {
        provider: ProviderId::Digicert,
        name: "orders.list",
        page_size: PAGE_SIZE,
        request: Box::new(move |offset| {
            target.request(
                Method::Get,
                &paged("/order/certificate", &pairs, offset),
                None,
            )
        }),
        split: orders_page,
        limit,
    }
}

/// `requests list`: the requests of the given statuses and types, at most `limit`.
pub fn list_requests(
    target: &Target,
    statuses_wanted: &[String],
    kinds: &[String],
    limit: Option<u64>,
) -> Listing {
    let target = target.clone();
    let mut pairs = statuses(statuses_wanted);
    pairs.extend(
        kinds
            .iter()
            .map(|k| ("filters[type]".to_owned(), k.clone())),
    );
    Listing {
        provider: ProviderId::Digicert,
        name: "requests.list",
        page_size: PAGE_SIZE,
        request: Box::new(move |offset| {
            target.request(Method::Get, &paged("/request", &pairs, offset), None)
        }),
        split: requests_page,
        limit,
    }
}

/// What `orders list` shows: a table of id, common name, status, valid till and
/// product; `-o ids` prints `id`.
pub const ORDER_COLUMNS: Columns = Columns {
    table: &[
        ("id", "id"),
        ("common name", "certificate.common_name"),
        ("status", "status"),
        ("valid till", "certificate.valid_till"),
        ("product", "product.name_id"),
    ],
    id: "id",
};

/// What `requests list` shows: id, date, type, status and order.
pub const REQUEST_LIST_COLUMNS: Columns = Columns {
    table: &[
        ("id", "id"),
        ("date", "date"),
        ("type", "type"),
        ("status", "status"),
        ("order id", "order.id"),
    ],
    id: "id",
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    fn target() -> Target {
        Target {
            base: "https://www.digicert.com/services/v2".into(),
            api_key: Secret::new("k"),
        }
    }

    fn url(listing: &Listing, offset: u64) -> String {
        (listing.request)(offset).url.clone()
    }

    #[test]
    fn every_filter_has_its_query_parameter() {
        let mut filters = OrderFilters {
            statuses: vec!["issued".into()],
            common_name: Some("www.example.com".into()),
            domain: Some("example.com".into()),
            search: Some("shop & co".into()),
            product: Some("ssl_plus".into()),
            container: DigicertId::parse("14").ok(),
            certificate: DigicertId::parse("104").ok(),
            ..OrderFilters::default()
        };
        filters.set_serial("0A:1B").unwrap();
        filters.set_expires_before("2027-01-31").unwrap();
        let listing = list_orders(&target(), &filters, None);
        assert_eq!(
            url(&listing, 2000),
            "https://www.digicert.com/services/v2/order/certificate?filters[status]=issued&filters[common_name]=www.example.com&filters[domain_name]=example.com&filters[search]=%25shop%20%26%20co&filters[product_name_id]=ssl_plus&filters[container_id]=14&filters[serial_number]=0a1b&filters[certificate_id]=104&filters[valid_till]=%3C2027-01-31&limit=1000&offset=2000"
        );
    }

    #[test]
    fn several_statuses_are_indexed() {
        let filters = OrderFilters {
            statuses: vec!["issued".into(), "revoked".into()],
            ..OrderFilters::default()
        };
        assert!(
            url(&list_orders(&target(), &filters, None), 0).ends_with(
                "/order/certificate?filters[status][0]=issued&filters[status][1]=revoked&limit=1000&offset=0"
            )
        );
        let listing = list_requests(&target(), &["pending".into()], &["revoke".into()], None);
        assert!(url(&listing, 0).ends_with(
            "/request?filters[status]=pending&filters[type]=revoke&limit=1000&offset=0"
        ));
    }

    #[test]
    fn dates_and_serials_are_checked() {
        let mut f = OrderFilters::default();
        assert!(f.set_expires_before("2027-02-30").is_err());
        assert!(f.set_expires_before("27-01-01").is_err());
        assert!(f.set_expires_before("2027/01/01").is_err());
        assert!(f.set_serial("xyz").is_err());
    }

    #[test]
    fn pages_are_read_without_their_objects_parsed() {
        let answer = |status: u16, body: &str| Response {
            status,
            retry_after: None,
            body: bytes::Bytes::from(body.to_owned()),
            after_lost_attempt: false,
        };
        let body = r#"{"orders":[{"id":1,"status":"strange"},{"id":2,"organization":[]}],"page":{"total":2,"limit":1000,"offset":0}}"#;
        let page = orders_page(&answer(200, body)).unwrap();
        assert_eq!(page.total, Some(2));
        let texts: Vec<&str> = page.items.iter().map(|r| &body[r.clone()]).collect();
        assert_eq!(
            texts,
            [
                r#"{"id":1,"status":"strange"}"#,
                r#"{"id":2,"organization":[]}"#
            ]
        );
        let page = requests_page(&answer(200, r#"{"requests":[{"id":7}]}"#)).unwrap();
        assert_eq!((page.items.len(), page.total), (1, None));
        let e = orders_page(&answer(200, r#"{"requests":[]}"#)).unwrap_err();
        assert_eq!(e.kind, crate::error::ErrorKind::InvalidResponse);
        let e = orders_page(&answer(
            403,
            r#"{"errors":[{"code":"access_denied|access_denied_invalid_key","message":"no"}]}"#,
        ))
        .unwrap_err();
        assert_eq!(e.kind, crate::error::ErrorKind::Auth);
    }
}
