//! What certctl knows of each provider, as data: the one registry.
//!
//! Config keys and `config show`, the environment variables, pacing, `check`, the
//! emulator's prefixes, budgets and printed profile, the config template and the
//! CLI's provider list all read [`PROVIDERS`]. What else a fifth provider takes is
//! listed in the `providers` module.
//!
//! A leaf: it imports nothing of certctl, so every layer may read it.

use std::fmt;
use std::time::Duration;

/// At most `limit` requests in any `period`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    /// Requests allowed in one period.
    pub limit: u32,
    /// The length of the sliding window.
    pub period: Duration,
}

impl Window {
    /// A window of `limit` requests per `period`.
    pub const fn new(limit: u32, period: Duration) -> Self {
        Window { limit, period }
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} per {}",
            self.limit,
            humantime::format_duration(self.period)
        )
    }
}

/// One of the four providers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProviderId {
    /// BCdiploma blockchain diplomas.
    Bcdiploma,
    /// Origin construction-product certifications.
    Origin,
    /// DigiCert CertCentral.
    Digicert,
    /// Sertifika Merkezi.
    Sertifika,
}

/// The facts certctl needs about a provider before it can talk to it.
#[derive(Debug)]
pub struct ProviderInfo {
    /// The provider this entry describes.
    pub id: ProviderId,
    /// The name used on the command line, in config tables and environment variables.
    pub name: &'static str,
    /// Other names the command line accepts for it.
    pub aliases: &'static [&'static str],
    /// Where requests go when `base_url` is not set.
    pub default_base_url: &'static str,
    /// The config key of the credential (`token` or `api_key`); `<key>_file` reads it from a file.
    pub secret_key: &'static str,
    /// Other settings the provider needs besides `base_url` and the credential.
    pub extra_keys: &'static [&'static str],
    /// The documented request budget, paced by default so bulk runs never see a 429.
    pub budget: &'static [Window],
    /// Where the provider lives inside the sandbox emulator.
    pub sandbox_prefix: &'static str,
    /// The values of `extra_keys` that the emulator accepts.
    pub sandbox_extras: &'static [&'static str],
    /// What the config template says about `base_url` (other regions, staging).
    pub base_url_note: &'static str,
}

/// Every provider, in the order of [`ProviderId`]'s variants, which is the order
/// `config show` and `check` list them in.
pub static PROVIDERS: [ProviderInfo; 4] = [
    ProviderInfo {
        id: ProviderId::Bcdiploma,
        name: "bcdiploma",
        aliases: &[],
        default_base_url: "https://api.bcdiploma.com",
        secret_key: "token",
        extra_keys: &[],
        budget: &[
            Window::new(100, Duration::from_secs(5)),
            Window::new(500, Duration::from_secs(60)),
        ],
        sandbox_prefix: "/bcdiploma",
        sandbox_extras: &[],
        base_url_note: "EU (default); US: https://api-cus.bcdiploma.com, staging: https://api-staging.bcdiploma.com",
    },
    ProviderInfo {
        id: ProviderId::Origin,
        name: "origin",
        aliases: &[],
        default_base_url: "https://origin.build/equinox",
        secret_key: "token",
        extra_keys: &[],
        budget: &[],
        sandbox_prefix: "/origin",
        sandbox_extras: &[],
        base_url_note: "the default",
    },
    ProviderInfo {
        id: ProviderId::Digicert,
        name: "digicert",
        aliases: &[],
        default_base_url: "https://www.digicert.com/services/v2",
        secret_key: "api_key",
        extra_keys: &[],
        budget: &[
            Window::new(100, Duration::from_secs(5)),
            Window::new(1000, Duration::from_secs(300)),
        ],
        sandbox_prefix: "/digicert/services/v2",
        sandbox_extras: &[],
        base_url_note: "the default; EU accounts: https://certcentral.digicert.eu/services/v2",
    },
    ProviderInfo {
        id: ProviderId::Sertifika,
        name: "sertifika",
        aliases: &["sm"],
        default_base_url: "https://sertifikalarim.com",
        secret_key: "token",
        extra_keys: &["company_id"],
        budget: &[],
        sandbox_prefix: "/sertifika",
        sandbox_extras: &["sandbox-company"],
        base_url_note: "the default",
    },
];

impl ProviderId {
    /// This provider's entry in [`PROVIDERS`].
    pub fn info(self) -> &'static ProviderInfo {
        &PROVIDERS[self.index()]
    }

    /// Where this provider's row sits in [`PROVIDERS`] and in every table indexed
    /// like it (the emulator's per-provider state).
    pub fn index(self) -> usize {
        self as usize
    }

    /// The provider's command-line and config name.
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// Looks a provider up by its command-line name or one of its aliases.
    pub fn from_name(name: &str) -> Option<ProviderId> {
        PROVIDERS
            .iter()
            .find(|p| p.name == name || p.aliases.contains(&name))
            .map(|p| p.id)
    }
}

/// Every name and alias the command line accepts for a provider, in registry order.
pub fn names() -> impl Iterator<Item = &'static str> {
    PROVIDERS
        .iter()
        .flat_map(|p| std::iter::once(p.name).chain(p.aliases.iter().copied()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_is_whole() {
        for p in &PROVIDERS {
            assert_eq!(p.sandbox_extras.len(), p.extra_keys.len(), "{}", p.name);
            assert!(p.sandbox_prefix.starts_with('/'), "{}", p.name);
            assert!(p.default_base_url.starts_with("https://"), "{}", p.name);
        }
    }

    #[test]
    fn info_table_matches_ids() {
        for (i, p) in PROVIDERS.iter().enumerate() {
            assert_eq!(p.id.index(), i, "{} is out of order", p.name);
            assert_eq!(p.id.info().name, p.name);
            assert_eq!(ProviderId::from_name(p.name), Some(p.id));
        }
        assert_eq!(ProviderId::from_name("sm"), Some(ProviderId::Sertifika));
        assert_eq!(ProviderId::from_name("acme"), None);
        assert_eq!(
            names().collect::<Vec<_>>(),
            ["bcdiploma", "origin", "digicert", "sertifika", "sm"]
        );
    }
}
