//! The seeded DigiCert account: what each order is, derived from its id alone, so
//! that 100,000 orders cost a few bytes of changing state each and start at once.
//!
//! Orders are numbered from 10001. Order N holds certificate N + 10000, whose serial
//! number is `0a1b2c3d` followed by the certificate ID in 8 hex digits (certificate
//! 20001: `0a1b2c3d00004e21`). Statuses follow the last digit of the order ID, so
//! that a script can pick orders without asking: orders ending in 0 or 5 are not
//! issued (in turn `pending`, `revoked`, `rejected`, `canceled`, `waiting_pickup`,
//! `reissue_pending`, `expired`), and those ending in 9 are issued but carry a
//! request (in turn a pending revoke request, a rejected one, an approved duplicate, a
//! submitted duplicate). Every other order is issued and has no request. Common
//! names, SANs, products, containers, organizations, owners and expiry dates are
//! spread by a fixed hash of the ID, so each `orders list` filter selects some
//! orders and not others; one order in 50 has `"organization": []`, as some live
//! accounts answer.

use serde::Serialize;

/// The first order's ID.
pub(super) const FIRST_ORDER: u64 = 10_001;

/// How many orders the emulator holds unless told otherwise.
pub const DEFAULT_ORDERS: u64 = 2_000;

/// The most orders it will hold: a few megabytes of state.
pub const MAX_ORDERS: u64 = 1_000_000;

/// Certificate ID minus order ID.
const CERTIFICATE_OFFSET: u64 = 10_000;

/// What the seeded serial numbers start with; the certificate ID follows in hex.
const SERIAL_PREFIX: &str = "0a1b2c3d";

/// An order's status, as the API spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Status {
    Issued,
    Pending,
    Revoked,
    Rejected,
    Canceled,
    WaitingPickup,
    ReissuePending,
    Expired,
}

impl Status {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Status::Issued => "issued",
            Status::Pending => "pending",
            Status::Revoked => "revoked",
            Status::Rejected => "rejected",
            Status::Canceled => "canceled",
            Status::WaitingPickup => "waiting_pickup",
            Status::ReissuePending => "reissue_pending",
            Status::Expired => "expired",
        }
    }

    /// The status of the order's certificate while the order has this one.
    pub(super) fn certificate(self) -> Status {
        match self {
            Status::Issued | Status::ReissuePending => Status::Issued,
            Status::Revoked => Status::Revoked,
            Status::Expired => Status::Expired,
            _ => Status::Pending,
        }
    }
}

/// The statuses of the orders that are not issued, in turn.
const NOT_ISSUED: [Status; 7] = [
    Status::Pending,
    Status::Revoked,
    Status::Rejected,
    Status::Canceled,
    Status::WaitingPickup,
    Status::ReissuePending,
    Status::Expired,
];

/// The seeded status of order `id`.
pub(super) fn status(id: u64) -> Status {
    if id.is_multiple_of(5) {
        NOT_ISSUED[((id / 5) % 7) as usize]
    } else {
        Status::Issued
    }
}

/// A request's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Revoke,
    NewRequest,
    Duplicate,
    Reissue,
}

impl Kind {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Kind::Revoke => "revoke",
            Kind::NewRequest => "new_request",
            Kind::Duplicate => "duplicate",
            Kind::Reissue => "reissue",
        }
    }
}

/// A request's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RequestStatus {
    Submitted,
    Pending,
    Approved,
    Rejected,
}

impl RequestStatus {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            RequestStatus::Submitted => "submitted",
            RequestStatus::Pending => "pending",
            RequestStatus::Approved => "approved",
            RequestStatus::Rejected => "rejected",
        }
    }

    /// Whether an administrator can still approve or reject it.
    pub(super) fn awaits_decision(self) -> bool {
        matches!(self, RequestStatus::Submitted | RequestStatus::Pending)
    }
}

/// The request seeded on order `id`, if it has one: what brought a not-issued order
/// where it is, or on issued orders ending in 9 one of four kinds in turn.
pub(super) fn request(id: u64) -> Option<(Kind, RequestStatus)> {
    use RequestStatus as R;
    match status(id) {
        Status::Pending => Some((Kind::NewRequest, R::Pending)),
        Status::WaitingPickup => Some((Kind::NewRequest, R::Approved)),
        Status::Rejected => Some((Kind::NewRequest, R::Rejected)),
        Status::Revoked => Some((Kind::Revoke, R::Approved)),
        Status::ReissuePending => Some((Kind::Reissue, R::Pending)),
        Status::Canceled | Status::Expired => None,
        Status::Issued if id % 10 == 9 => Some(match (id / 10) % 4 {
            0 => (Kind::Revoke, R::Pending),
            1 => (Kind::Revoke, R::Rejected),
            2 => (Kind::Duplicate, R::Approved),
            _ => (Kind::Duplicate, R::Submitted),
        }),
        Status::Issued => None,
    }
}

/// The certificate of order `id`.
pub(super) fn certificate_of(order: u64) -> u64 {
    order + CERTIFICATE_OFFSET
}

/// The order certificate `id` belongs to (not checked against the orders held).
pub(super) fn order_of(certificate: u64) -> Option<u64> {
    certificate.checked_sub(CERTIFICATE_OFFSET)
}

/// The serial number of certificate `id`.
pub(super) fn serial_of(id: u64) -> String {
    format!("{SERIAL_PREFIX}{id:08x}")
}

/// The certificate a serial number (any case) names, if it has the seeded form.
pub(super) fn id_of_serial(serial: &str) -> Option<u64> {
    let serial = serial.to_ascii_lowercase();
    let hex = serial.strip_prefix(SERIAL_PREFIX)?;
    (hex.len() == 8)
        .then(|| u64::from_str_radix(hex, 16).ok())
        .flatten()
        .filter(|id| serial_of(*id) == serial)
}

/// An `{"id","name"}` pair: containers and organizations.
#[derive(Debug, Serialize)]
pub(super) struct Named {
    pub(super) id: u64,
    pub(super) name: &'static str,
}

/// A product as orders show it.
#[derive(Debug, Serialize)]
pub(super) struct Product {
    pub(super) name_id: &'static str,
    pub(super) name: &'static str,
    #[serde(rename = "type")]
    pub(super) kind: &'static str,
}

/// A user of the account: an order's owner, a request's requester.
#[derive(Debug, Serialize)]
pub(super) struct User {
    pub(super) id: u64,
    pub(super) first_name: &'static str,
    pub(super) last_name: &'static str,
    pub(super) email: &'static str,
}

/// The account's administrator: the API key's user and every request's requester.
pub(super) static ADMIN: User = User {
    id: 242140,
    first_name: "Sandbox",
    last_name: "Admin",
    email: "sandbox.admin@example.com",
};

static HOSTS: [&str; 8] = ["www", "api", "mail", "shop", "vpn", "portal", "cdn", "auth"];

static DOMAINS: [&str; 6] = [
    "example.com",
    "example.net",
    "example.org",
    "acme.example",
    "globex.example",
    "initech.example",
];

static PRODUCTS: [Product; 5] = [
    Product {
        name_id: "ssl_plus",
        name: "Standard SSL",
        kind: "ssl_certificate",
    },
    Product {
        name_id: "ssl_wildcard",
        name: "Wildcard SSL",
        kind: "ssl_certificate",
    },
    Product {
        name_id: "ssl_ev_plus",
        name: "EV SSL",
        kind: "ssl_certificate",
    },
    Product {
        name_id: "ssl_multi_domain",
        name: "Multi-Domain SSL",
        kind: "ssl_certificate",
    },
    Product {
        name_id: "ssl_securesite_pro",
        name: "Secure Site Pro SSL",
        kind: "ssl_certificate",
    },
];

static CONTAINERS: [Named; 3] = [
    Named {
        id: 1,
        name: "Sandbox Organization",
    },
    Named {
        id: 2,
        name: "Sandbox Europe",
    },
    Named {
        id: 3,
        name: "Sandbox Americas",
    },
];

static ORGANIZATIONS: [Named; 3] = [
    Named {
        id: 112233,
        name: "Example Holdings Inc.",
    },
    Named {
        id: 112234,
        name: "Acme Europe GmbH",
    },
    Named {
        id: 112235,
        name: "Globex Americas LLC",
    },
];

static OWNERS: [User; 4] = [
    User {
        id: 300001,
        first_name: "Ada",
        last_name: "Lovelace",
        email: "ada.lovelace@example.com",
    },
    User {
        id: 300002,
        first_name: "Alan",
        last_name: "Turing",
        email: "alan.turing@example.net",
    },
    User {
        id: 300003,
        first_name: "Grace",
        last_name: "Hopper",
        email: "grace.hopper@example.org",
    },
    User {
        id: 300004,
        first_name: "Edsger",
        last_name: "Dijkstra",
        email: "edsger.dijkstra@acme.example",
    },
];

/// Days from 1970-01-01 to 2025-01-01: the first order date.
const FIRST_DAY: u64 = 20_089;

/// How many days order dates are spread over.
const DAYS_SPREAD: u64 = 700;

/// How many days expired orders' dates are spread over.
const EXPIRED_SPREAD: u64 = 300;

/// How long a certificate is valid, in days (13 months).
const VALIDITY_DAYS: u64 = 397;

/// A fixed hash of an order ID: splitmix64 of the ID mixed with `salt`, one salt per
/// attribute so that the attributes vary apart.
fn mix(id: u64, salt: u64) -> u64 {
    let mut z = id
        .wrapping_add(salt.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn pick<T>(list: &'static [T], id: u64, salt: u64) -> &'static T {
    &list[(mix(id, salt) % list.len() as u64) as usize]
}

/// What never changes about an order: derived from its ID alone.
#[derive(Debug, Clone, Copy)]
pub(super) struct Profile {
    pub(super) id: u64,
    pub(super) host: &'static str,
    pub(super) domain: &'static str,
}

impl Profile {
    pub(super) fn of(id: u64) -> Profile {
        Profile {
            id,
            host: pick::<&str>(&HOSTS, id, 1),
            domain: pick::<&str>(&DOMAINS, id, 2),
        }
    }

    pub(super) fn common_name(&self) -> String {
        format!("{}.{}", self.host, self.domain)
    }

    /// Whether `name` is the common name, without building it.
    pub(super) fn is_common_name(&self, name: &str) -> bool {
        name.strip_suffix(self.domain)
            .and_then(|rest| rest.strip_suffix('.'))
            == Some(self.host)
    }

    /// The certificate's names: the common name and the bare domain.
    pub(super) fn dns_names(&self) -> [String; 2] {
        [self.common_name(), self.domain.to_owned()]
    }

    /// Whether `name` is the common name or a SAN.
    pub(super) fn has_name(&self, name: &str) -> bool {
        name == self.domain || self.is_common_name(name)
    }

    pub(super) fn product(&self) -> &'static Product {
        pick(&PRODUCTS, self.id, 3)
    }

    pub(super) fn container(&self) -> &'static Named {
        pick(&CONTAINERS, self.id, 4)
    }

    /// The organization, or none for the orders the API shows with `[]`.
    pub(super) fn organization(&self) -> Option<&'static Named> {
        (self.id % 50 != 7).then(|| pick(&ORGANIZATIONS, self.id, 5))
    }

    pub(super) fn owner(&self) -> &'static User {
        pick(&OWNERS, self.id, 6)
    }

    /// Days since 1970 of the order's creation; an expired order's early enough
    /// that its certificate ended before December 2026.
    fn created_day(&self) -> u64 {
        let spread = if status(self.id) == Status::Expired {
            EXPIRED_SPREAD
        } else {
            DAYS_SPREAD
        };
        FIRST_DAY + mix(self.id, 7) % spread
    }

    /// Creation time in seconds since 1970 (during the working day).
    pub(super) fn created(&self) -> u64 {
        self.created_day() * 86_400 + 32_400 + mix(self.id, 8) % 28_800
    }

    pub(super) fn valid_from(&self) -> String {
        date(self.created_day())
    }

    pub(super) fn valid_till(&self) -> String {
        date(self.created_day() + VALIDITY_DAYS)
    }
}

/// The calendar date of a day counted from 1970-01-01 (the proleptic Gregorian
/// calendar, by H. Hinnant's `civil_from_days`): computed, not formatted through a
/// time library, since a page of a thousand orders shows three thousand dates.
fn civil(day: u64) -> (u64, u64, u64) {
    let z = day + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

/// `YYYY-MM-DD` of a day counted from 1970-01-01.
pub(super) fn date(day: u64) -> String {
    let (y, m, d) = civil(day);
    format!("{y:04}-{m:02}-{d:02}")
}

/// A time in seconds since 1970 as the API writes it (`2025-03-04T10:00:00+00:00`).
pub(super) fn timestamp(secs: u64) -> String {
    let (y, m, d) = civil(secs / 86_400);
    let s = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}+00:00",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_the_last_digit() {
        assert_eq!(status(10_001), Status::Issued);
        assert_eq!(status(10_009), Status::Issued);
        let not_issued: Vec<&str> = (0..7).map(|n| status(10_010 + 5 * n).as_str()).collect();
        assert_eq!(
            not_issued,
            [
                "pending",
                "revoked",
                "rejected",
                "canceled",
                "waiting_pickup",
                "reissue_pending",
                "expired"
            ]
        );
        assert_eq!(request(10_001), None);
        assert_eq!(
            request(10_009),
            Some((Kind::Revoke, RequestStatus::Pending))
        );
        assert_eq!(
            request(10_019),
            Some((Kind::Revoke, RequestStatus::Rejected))
        );
    }

    #[test]
    fn serials_name_their_certificate() {
        assert_eq!(serial_of(20_001), "0a1b2c3d00004e21");
        assert_eq!(id_of_serial("0A1B2C3D00004E21"), Some(20_001));
        assert_eq!(id_of_serial("0a1b2c3d4e21"), None);
        assert_eq!(order_of(certificate_of(10_001)), Some(10_001));
    }

    #[test]
    fn names_and_dates_are_well_formed() {
        let p = Profile::of(10_001);
        assert!(p.is_common_name(&p.common_name()));
        assert!(p.has_name(p.domain));
        assert!(!p.is_common_name(p.domain));
        assert_eq!(date(FIRST_DAY), "2025-01-01");
        assert_eq!(timestamp(0), "1970-01-01T00:00:00+00:00");
        // Leap days and year ends, against the time library's own formatting.
        for secs in [951_782_400, 1_709_164_799, 1_735_689_600, 4_107_542_399] {
            let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
            let expected = humantime::format_rfc3339_seconds(time)
                .to_string()
                .replace('Z', "+00:00");
            assert_eq!(timestamp(secs), expected);
        }
        assert!(p.valid_from() < p.valid_till());
    }
}
