//! The provider adapters and what they share.
//!
//! Each provider module turns parsed arguments into [`crate::engine::Operation`]s
//! (request descriptions) and turns responses into per-item outcomes. None of them
//! does I/O: the engine sends, retries, paces, journals and prints. What certctl
//! knows of each provider as data (names, settings, budgets, emulator prefix) is
//! its row in [`crate::registry::PROVIDERS`].
//!
//! A fifth provider is three new source files, a test file, and two lines in each
//! of four places:
//! - a `ProviderId` variant and its row in `PROVIDERS` (`src/registry.rs`): names,
//!   settings, documented budget, where it lives in the emulator; config files,
//!   `config show`, `check`, pacing and the emulator's profile follow from the row;
//! - its adapter, `src/providers/NAME.rs`, whose `Api` implements [`Adapter`]:
//!   declared here and named in [`adapter()`];
//! - its command module, `src/commands/NAME.rs`, its nouns and verbs (clap) beside
//!   the function that runs them: declared in `commands`, with a `Command` variant
//!   in `commands/tree.rs` and its arm in `commands::run`;
//! - its emulator, `src/sandbox/NAME.rs`, whose `State` implements the sandbox's
//!   `Emulation`: declared in `sandbox` and named in `sandbox::emulation`;
//! - its test file, `tests/NAME.rs` (declared in `tests/cli.rs`), and its row in
//!   the table of `tests/contract.rs`, which holds every provider to the engine's
//!   promises.
//!
//! [`adapter()`] and `sandbox::emulation` are `match`es on `ProviderId`, so the
//! compiler points at both once the variant exists.

pub mod bcdiploma;
pub mod digicert;
pub mod origin;
pub mod sertifika;

mod adapter;

use crate::engine::Spec;
pub use crate::registry::ProviderId;
pub use adapter::{Adapter, Endpoint};

/// The adapter of `provider`: the one place the adapters are listed.
pub fn adapter(provider: ProviderId) -> &'static dyn Adapter {
    match provider {
        ProviderId::Bcdiploma => &bcdiploma::Api,
        ProviderId::Origin => &origin::Api,
        ProviderId::Digicert => &digicert::Api,
        ProviderId::Sertifika => &sertifika::Api,
    }
}

/// The spec of the state-changing operation `name` of `provider`: what a plan of
/// it is sent by; `None` for a name that is not one (reads are never planned).
pub fn spec(provider: ProviderId, name: &str) -> Option<&'static Spec> {
    adapter(provider)
        .specs()
        .iter()
        .copied()
        .find(|spec| spec.name == name)
}

/// Builders shared by the adapters' unit tests.
#[cfg(test)]
pub mod test_support {
    use crate::engine::request::Response;
    use crate::input::{Check, Ids};

    /// An answer with this status and body.
    pub fn resp(status: u16, body: &str) -> Response {
        Response {
            status,
            retry_after: None,
            body: bytes::Bytes::from(body.to_string()),
            after_lost_attempt: false,
        }
    }

    /// IDs as if given on the command line, checked by `check`.
    pub fn ids(list: &[&str], check: Check) -> Ids {
        crate::input::open(
            list.iter().map(|s| s.to_string()).collect(),
            None,
            check,
            crate::input::Resumed::default(),
        )
        .expect("test IDs are valid")
    }
}

#[cfg(test)]
mod tests {
    use crate::registry::PROVIDERS;

    #[test]
    fn each_adapter_names_its_own_operations_once() {
        for provider in &PROVIDERS {
            let specs = super::adapter(provider.id).specs();
            assert!(!specs.is_empty(), "{}", provider.name);
            for (i, spec) in specs.iter().enumerate() {
                assert_eq!(spec.provider, provider.id, "{}", spec.name);
                assert!(
                    specs[..i].iter().all(|other| other.name != spec.name),
                    "{} {}",
                    provider.name,
                    spec.name
                );
                let found = super::spec(provider.id, spec.name).map(|s| s.name);
                assert_eq!(found, Some(spec.name));
            }
            assert!(super::spec(provider.id, "templates.list").is_none());
        }
    }
}
