//! The query of the emulated DigiCert lists, read as the live API reads it:
//! `limit` (at most 1000, default 1000) and `offset`, and `filters[NAME]=VALUE`, a
//! filter given several values as `filters[NAME][0]=A&filters[NAME][1]=B`. An unknown
//! filter or a malformed value is DigiCert's 400, so a wrong query built by certctl
//! shows instead of listing everything.

use super::seed::{self, Profile, Status};

/// The most objects one page holds.
pub(super) const MAX_LIMIT: usize = 1000;

/// A page asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Page {
    pub(super) limit: usize,
    pub(super) offset: usize,
}

/// Why a query was refused: the code and message of DigiCert's 400.
pub(super) type Refusal = (String, String);

fn refuse(code: &str, message: String) -> Refusal {
    (code.to_owned(), message)
}

/// The filters of a query, by name, each with its values in order.
fn filters(pairs: &[(String, String)]) -> Vec<(&str, &str)> {
    pairs
        .iter()
        .filter_map(|(key, value)| {
            let name = key.strip_prefix("filters[")?;
            let (name, rest) = name.split_once(']')?;
            let indexed = rest.is_empty()
                || rest
                    .strip_prefix('[')
                    .and_then(|r| r.strip_suffix(']'))
                    .is_some_and(|n| n.parse::<u32>().is_ok());
            indexed.then_some((name, value.as_str()))
        })
        .collect()
}

/// `limit` and `offset` of a query.
pub(super) fn page(pairs: &[(String, String)]) -> Result<Page, Refusal> {
    let number = |key: &str, default: usize| -> Result<usize, Refusal> {
        match pairs.iter().rev().find(|(k, _)| k == key) {
            None => Ok(default),
            Some((_, v)) => v.parse::<usize>().map_err(|_| {
                refuse(
                    &format!("invalid_param|{key}"),
                    format!("{key} must be a whole number, not '{v}'."),
                )
            }),
        }
    };
    let limit = number("limit", MAX_LIMIT)?;
    if limit == 0 || limit > MAX_LIMIT {
        return Err(refuse(
            "invalid_param|limit",
            format!("limit must be between 1 and {MAX_LIMIT}, not {limit}."),
        ));
    }
    Ok(Page {
        limit,
        offset: number("offset", 0)?,
    })
}

/// How `filters[valid_till]` compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compare {
    Before,
    After,
    On,
}

/// The filters of `GET /order/certificate`.
#[derive(Debug, Default)]
pub(super) struct OrderFilter {
    statuses: Vec<String>,
    common_name: Option<String>,
    domain: Option<String>,
    search: Option<String>,
    product: Option<String>,
    container: Option<u64>,
    serial: Option<String>,
    certificate: Option<u64>,
    valid_till: Option<(Compare, String)>,
}

fn whole(name: &str, value: &str) -> Result<u64, Refusal> {
    value.parse::<u64>().map_err(|_| {
        refuse(
            &format!("invalid_filter|{name}"),
            format!("filters[{name}] must be a whole number, not '{value}'."),
        )
    })
}

/// `<DATE`, `>DATE` or `DATE`, the date as `YYYY-MM-DD`.
fn date_filter(value: &str) -> Result<(Compare, String), Refusal> {
    let (compare, date) = match value.as_bytes().first() {
        Some(b'<') => (Compare::Before, &value[1..]),
        Some(b'>') => (Compare::After, &value[1..]),
        _ => (Compare::On, value),
    };
    let well_formed =
        date.len() == 10 && humantime::parse_rfc3339(&format!("{date}T00:00:00Z")).is_ok();
    if !well_formed {
        return Err(refuse(
            "invalid_filter|valid_till",
            format!("filters[valid_till] takes a date as YYYY-MM-DD, not '{value}'."),
        ));
    }
    Ok((compare, date.to_owned()))
}

impl OrderFilter {
    pub(super) fn parse(pairs: &[(String, String)]) -> Result<OrderFilter, Refusal> {
        let mut f = OrderFilter::default();
        for (name, value) in filters(pairs) {
            let text = Some(value.to_owned());
            match name {
                "status" => f.statuses.push(value.to_owned()),
                "common_name" => f.common_name = text,
                "domain_name" => f.domain = text,
                "search" => f.search = Some(value.replace('%', "").to_ascii_lowercase()),
                "product_name_id" => f.product = text,
                "container_id" => f.container = Some(whole(name, value)?),
                "serial_number" => f.serial = Some(value.to_ascii_lowercase()),
                "certificate_id" => f.certificate = Some(whole(name, value)?),
                "valid_till" => f.valid_till = Some(date_filter(value)?),
                other => {
                    return Err(refuse(
                        "invalid_filter",
                        format!("Orders cannot be filtered by '{other}'."),
                    ));
                }
            }
        }
        Ok(f)
    }

    /// Whether nothing is filtered: the page is then a plain slice.
    pub(super) fn is_empty(&self) -> bool {
        self.statuses.is_empty()
            && self.common_name.is_none()
            && self.domain.is_none()
            && self.search.is_none()
            && self.product.is_none()
            && self.container.is_none()
            && self.serial.is_none()
            && self.certificate.is_none()
            && self.valid_till.is_none()
    }

    /// Whether order `id`, now `status`, passes every filter.
    pub(super) fn matches(&self, id: u64, status: Status) -> bool {
        let p = Profile::of(id);
        let certificate = seed::certificate_of(id);
        (self.statuses.is_empty() || self.statuses.iter().any(|s| s == status.as_str()))
            && self
                .common_name
                .as_ref()
                .is_none_or(|cn| p.is_common_name(cn))
            && self.domain.as_ref().is_none_or(|d| p.has_name(d))
            && self
                .product
                .as_ref()
                .is_none_or(|n| n == p.product().name_id)
            && self.container.is_none_or(|c| c == p.container().id)
            && self.certificate.is_none_or(|c| c == certificate)
            && self
                .serial
                .as_ref()
                .is_none_or(|s| *s == seed::serial_of(certificate))
            && self.valid_till.as_ref().is_none_or(|(compare, date)| {
                let till = p.valid_till();
                match compare {
                    Compare::Before => till < *date,
                    Compare::After => till > *date,
                    Compare::On => till == *date,
                }
            })
            && self.search.as_ref().is_none_or(|text| {
                p.common_name().contains(text.as_str()) || p.owner().email.contains(text.as_str())
            })
    }
}

/// The filters of `GET /request`.
#[derive(Debug, Default)]
pub(super) struct RequestFilter {
    statuses: Vec<String>,
    kinds: Vec<String>,
}

impl RequestFilter {
    pub(super) fn parse(pairs: &[(String, String)]) -> Result<RequestFilter, Refusal> {
        let mut f = RequestFilter::default();
        for (name, value) in filters(pairs) {
            match name {
                "status" => f.statuses.push(value.to_owned()),
                "type" => f.kinds.push(value.to_owned()),
                other => {
                    return Err(refuse(
                        "invalid_filter",
                        format!("Requests cannot be filtered by '{other}'."),
                    ));
                }
            }
        }
        Ok(f)
    }

    pub(super) fn matches(&self, status: &str, kind: &str) -> bool {
        (self.statuses.is_empty() || self.statuses.iter().any(|s| s == status))
            && (self.kinds.is_empty() || self.kinds.iter().any(|k| k == kind))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(query: &str) -> Vec<(String, String)> {
        url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect()
    }

    #[test]
    fn pages_default_to_a_thousand_and_refuse_more() {
        assert_eq!(
            page(&pairs("")),
            Ok(Page {
                limit: 1000,
                offset: 0
            })
        );
        assert_eq!(
            page(&pairs("limit=10&offset=20")),
            Ok(Page {
                limit: 10,
                offset: 20
            })
        );
        assert!(page(&pairs("limit=1001")).is_err());
        assert!(page(&pairs("limit=0")).is_err());
        assert!(page(&pairs("offset=x")).is_err());
    }

    #[test]
    fn filters_take_one_value_or_indexed_ones() {
        let f = OrderFilter::parse(&pairs(
            "filters%5Bstatus%5D%5B0%5D=issued&filters[status][1]=revoked",
        ))
        .unwrap();
        assert_eq!(f.statuses, ["issued", "revoked"]);
        assert!(f.matches(10_001, Status::Issued));
        assert!(!f.matches(10_001, Status::Pending));
        assert!(OrderFilter::parse(&pairs("filters[colour]=red")).is_err());
        assert!(OrderFilter::parse(&pairs("filters[valid_till]=<2027-13-01")).is_err());
        assert!(OrderFilter::parse(&pairs("filters[container_id]=one")).is_err());
        let f = OrderFilter::parse(&pairs("filters[valid_till]=%3C2000-01-01")).unwrap();
        assert!(!f.matches(10_001, Status::Issued));
        assert!(OrderFilter::parse(&pairs("")).unwrap().is_empty());
    }
}
