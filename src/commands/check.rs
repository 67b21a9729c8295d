//! `certctl check`: is each provider configured, reachable, and does it accept the
//! credential? One row per check, so a CI log says exactly what is broken.
//!
//! DigiCert and Sertifika Merkezi have read-only requests that prove the credential
//! (`user/me`, `templates list`). BCdiploma and Origin document none: their row says
//! the credential was not verified, but the reachability probe carries the token
//! anyway, so a host that refuses it (401/403) fails the check instead of passing.

use serde_json::{Value, json};

use super::context::Context;
use super::metrics::Recorder;
use crate::config::{ProviderSettings, Source};
use crate::error::kind_for_status;
use crate::error::{Error, ErrorKind, ExitStatus, Result};
use crate::outcome::Outcome;
use crate::output::{print_read, table};
use crate::providers::{self, ProviderId};
use crate::report::Summary;

/// One check's result.
struct Row {
    provider: &'static str,
    check: &'static str,
    ok: bool,
    kind: Option<ErrorKind>,
    detail: String,
    /// Passed without proving anything (a credential the API cannot verify): shown
    /// as `not verified` rather than `ok`, so nobody reads it as a verified one.
    unverified: bool,
}

impl Row {
    /// A check that passed, with what it found.
    fn passed(provider: &'static str, check: &'static str, detail: impl Into<String>) -> Row {
        Row {
            provider,
            check,
            ok: true,
            kind: None,
            detail: detail.into(),
            unverified: false,
        }
    }

    /// `ok`, `failed` or `not verified`: the text table's column and the JSON `result`.
    fn result(&self) -> &'static str {
        match (self.ok, self.unverified) {
            (false, _) => "failed",
            (true, true) => "not verified",
            (true, false) => "ok",
        }
    }
}

/// What `check` says of a credential no read-only request can prove.
const NOT_VERIFIED: &str = "not verified: the API has no read-only request";

/// Runs the checks of the named providers (or every configured one); each
/// provider's checks are recorded by `recorder` as a job of their own, with the exit
/// code `certctl check PROVIDER` would have given.
pub async fn run(names: &[String], ctx: &Context, recorder: &Recorder) -> Result<Outcome> {
    let ids: Vec<ProviderId> = if names.is_empty() {
        let configured: Vec<ProviderId> = ctx
            .settings
            .providers()
            .iter()
            .filter(|p| is_configured(p))
            .map(|p| p.info().id)
            .collect();
        if configured.is_empty() {
            let path = &ctx.settings.path.value;
            let profile = &ctx.settings.profile.value;
            let hint = if path.exists() {
                format!(
                    "edit {} and fill in the settings of the providers you use under [profiles.{profile}.PROVIDER] (e.g. `token_file` under [profiles.{profile}.bcdiploma]), or set CERTCTL_<PROVIDER>_* variables",
                    path.display()
                )
            } else {
                "run `certctl config init`, set CERTCTL_<PROVIDER>_* variables, or name the providers to check".to_string()
            };
            return Err(
                Error::config(format!("no provider is configured in profile `{profile}`"))
                    .hint(hint),
            );
        }
        configured
    } else {
        let mut ids: Vec<ProviderId> = names
            .iter()
            .filter_map(|n| ProviderId::from_name(n))
            .collect();
        ids.dedup();
        ids
    };
    let mut rows = Vec::new();
    let tally = ctx.engine.http.requests();
    for id in ids {
        let (first_row, before) = (rows.len(), tally.counts());
        check_provider(ctx, ctx.settings.provider(id), &mut rows).await;
        let after = tally.counts();
        let own = &rows[first_row..];
        let failed = own.iter().filter(|r| r.kind.is_some()).count() as u64;
        let items = Summary {
            total: own.len() as u64,
            succeeded: own.len() as u64 - failed,
            failed,
            ..Summary::default()
        };
        let status = own
            .iter()
            .find_map(|r| r.kind)
            .map_or(ExitStatus::Success, ExitStatus::Failed);
        recorder.settle(
            id.name(),
            super::CHECK,
            status,
            items,
            std::array::from_fn(|i| after[i] - before[i]),
        );
    }
    let value = Value::Array(
        rows.iter()
            .map(|r| {
                json!({"provider": r.provider, "check": r.check, "ok": r.ok,
                       "result": r.result(), "kind": r.kind.map(|k| k.as_str()),
                       "detail": r.detail})
            })
            .collect(),
    );
    print_read(ctx.engine.format, &value, |v| {
        table::of_objects(
            v,
            &[
                ("provider", "provider"),
                ("check", "check"),
                ("result", "result"),
                ("detail", "detail"),
            ],
        )
    })
    .map_err(crate::error::io_error)?;
    let failed: Vec<&Row> = rows.iter().filter(|r| r.kind.is_some()).collect();
    let Some(first) = failed.first() else {
        return Ok(Outcome::Success);
    };
    let others = match failed.len() {
        1 => String::new(),
        n => format!(" ({} more check(s) failed, listed above)", n - 1),
    };
    Err(Error::new(
        first.kind.unwrap_or(ErrorKind::Refused),
        format!(
            "check {} {} failed: {}{others}",
            first.provider, first.check, first.detail
        ),
    ))
}

fn is_configured(p: &ProviderSettings) -> bool {
    p.rows()
        .iter()
        .any(|(_, _, source)| *source != Source::Default)
}

async fn check_provider(ctx: &Context, p: &ProviderSettings, rows: &mut Vec<Row>) {
    let name = p.info().name;
    let missing = p.missing_settings();
    if !missing.is_empty() {
        let detail: Vec<String> = missing
            .iter()
            .map(|e| match e.hint_text() {
                Some(h) => format!("{e}: {h}"),
                None => e.to_string(),
            })
            .collect();
        rows.push(fail(name, "settings", ErrorKind::Config, detail.join("; ")));
        return;
    }
    rows.push(Row::passed(name, "settings", "complete"));
    let (Ok(base), Ok(secret)) = (p.base_url(), p.secret()) else {
        return;
    };
    let id = p.info().id;
    let extra = |key: &'static str| p.extra(key).unwrap_or_default().to_string();
    let at = providers::Endpoint {
        base: &base,
        secret,
        extra: &extra,
    };
    let probe = providers::adapter(id).probe(&at);
    if ctx.engine.dry_run {
        // One document on stdout, the rows: the probe is named, not printed apart.
        rows.push(Row::passed(
            name,
            "reachable",
            format!(
                "dry run: not contacted (would send {} {})",
                probe.request.method.as_str(),
                probe.request.url
            ),
        ));
        return;
    }
    let pace = ctx.pace(id);
    let resp = match ctx.engine.read(id, "check", probe.request, pace).await {
        Ok(Some(resp)) => resp,
        Ok(None) => return,
        Err(e) => {
            let kind = match e.kind() {
                ErrorKind::Refused => ErrorKind::Refused,
                _ => ErrorKind::Transient,
            };
            rows.push(fail(name, "reachable", kind, e.to_string()));
            return;
        }
    };
    let verifies_credential = probe.verifies_credential;
    rows.push(Row::passed(
        name,
        "reachable",
        format!("{base} answered HTTP {}", resp.status),
    ));
    let setting = p.info().secret_key;
    rows.push(match kind_for_status(resp.status) {
        // A host that refuses the credential is no passing check, verifiable or not.
        ErrorKind::Auth => fail(
            name,
            "credentials",
            ErrorKind::Auth,
            format!(
                "refused (HTTP {}): check the {setting} setting ({setting}, {setting}_file or CERTCTL_{}_{})",
                resp.status,
                name.to_uppercase(),
                setting.to_uppercase()
            ),
        ),
        _ if !verifies_credential => Row {
            unverified: true,
            ..Row::passed(name, "credentials", NOT_VERIFIED)
        },
        _ if resp.is_success() => {
            Row::passed(name, "credentials", "accepted by a read-only request")
        }
        kind => fail(
            name,
            "credentials",
            kind,
            format!("the read-only request failed with HTTP {}", resp.status),
        ),
    });
}

fn fail(provider: &'static str, check: &'static str, kind: ErrorKind, detail: String) -> Row {
    Row {
        provider,
        check,
        ok: false,
        kind: Some(kind),
        detail,
        unverified: false,
    }
}
