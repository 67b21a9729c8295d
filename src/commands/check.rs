//! `certctl check`: is each provider configured, reachable, and does it accept the
//! credential? One row per check, so a CI log says exactly what is broken.

use serde_json::{Value, json};

use crate::commands::Context;
use crate::config::{ProviderSettings, Source};
use crate::engine::request::{Method, Request};
use crate::error::{Error, ErrorKind, Result};
use crate::output::{print_read, table};
use crate::providers::{ProviderId, kind_for_status};

/// One check's result.
struct Row {
    provider: &'static str,
    check: &'static str,
    ok: bool,
    kind: Option<ErrorKind>,
    detail: String,
}

/// Runs the checks of the named providers (or every configured one).
pub async fn run(names: &[String], ctx: &Context) -> Result<u8> {
    let ids: Vec<ProviderId> = if names.is_empty() {
        let configured: Vec<ProviderId> = ctx
            .settings
            .providers()
            .iter()
            .filter(|p| is_configured(p))
            .map(|p| p.info().id)
            .collect();
        if configured.is_empty() {
            return Err(Error::config("no provider is configured in this profile")
                .hint("run `certctl config init`, set CERTCTL_<PROVIDER>_* variables, or name the providers to check"));
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
    for id in ids {
        check_provider(ctx, ctx.settings.provider(id), &mut rows).await;
    }
    let value = Value::Array(
        rows.iter()
            .map(|r| {
                json!({"provider": r.provider, "check": r.check, "ok": r.ok,
                       "kind": r.kind.map(|k| k.as_str()), "detail": r.detail})
            })
            .collect(),
    );
    print_read(ctx.engine.format, &value, |v| {
        let shown: Vec<Value> = v
            .as_array()
            .map(|rows| {
                rows.iter()
                    .map(|r| {
                        let mut r = r.clone();
                        r["result"] = json!(if r["ok"] == true { "ok" } else { "FAILED" });
                        r
                    })
                    .collect()
            })
            .unwrap_or_default();
        table::of_objects(
            &Value::Array(shown),
            &[
                ("provider", "provider"),
                ("check", "check"),
                ("result", "result"),
                ("detail", "detail"),
            ],
        )
    })
    .map_err(crate::engine::io_error)?;
    Ok(rows
        .iter()
        .find_map(|r| r.kind)
        .map_or(0, ErrorKind::exit_code))
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
    rows.push(Row {
        provider: name,
        check: "settings",
        ok: true,
        kind: None,
        detail: "complete".into(),
    });
    let (Ok(base), Ok(secret)) = (p.base_url(), p.secret()) else {
        return;
    };
    let probe = match p.info().id {
        ProviderId::Digicert => Request::new(Method::Get, format!("{base}/user/me"))
            .secret_header("x-dc-devkey", secret.clone())
            .header("content-type", "application/json"),
        ProviderId::Sertifika => {
            let company = p.extra("company_id").unwrap_or_default();
            let company: String =
                url::form_urlencoded::byte_serialize(company.as_bytes()).collect();
            Request::new(
                Method::Get,
                format!("{base}/api/v1.0/company/{company}/certificate"),
            )
            .secret_header("authorization", secret.clone())
        }
        ProviderId::Bcdiploma | ProviderId::Origin => Request::new(Method::Get, format!("{base}/")),
    };
    let verifies_credential = matches!(p.info().id, ProviderId::Digicert | ProviderId::Sertifika);
    let pace = ctx.pace(p.info().id);
    match ctx.engine.read(p.info().id, "check", probe, pace).await {
        Ok(None) => rows.push(Row {
            provider: name,
            check: "reachable",
            ok: true,
            kind: None,
            detail: "dry run: not contacted".into(),
        }),
        Ok(Some(resp)) => {
            rows.push(Row {
                provider: name,
                check: "reachable",
                ok: true,
                kind: None,
                detail: format!("{base} answered HTTP {}", resp.status),
            });
            if verifies_credential {
                let kind = if resp.is_success() {
                    None
                } else {
                    Some(kind_for_status(resp.status))
                };
                rows.push(match kind {
                    None => Row {
                        provider: name,
                        check: "credentials",
                        ok: true,
                        kind: None,
                        detail: "accepted by a read-only request".into(),
                    },
                    Some(ErrorKind::Auth) => fail(
                        name,
                        "credentials",
                        ErrorKind::Auth,
                        format!("refused (HTTP {})", resp.status),
                    ),
                    Some(k) => fail(
                        name,
                        "credentials",
                        k,
                        format!("the read-only request failed with HTTP {}", resp.status),
                    ),
                });
            } else {
                rows.push(Row {
                    provider: name,
                    check: "credentials",
                    ok: true,
                    kind: None,
                    detail: "not verified: the API has no read-only request".into(),
                });
            }
        }
        Err(e) => {
            let kind = match e.kind() {
                ErrorKind::Refused => ErrorKind::Refused,
                _ => ErrorKind::Transient,
            };
            rows.push(fail(name, "reachable", kind, e.to_string()));
        }
    }
}

fn fail(provider: &'static str, check: &'static str, kind: ErrorKind, detail: String) -> Row {
    Row {
        provider,
        check,
        ok: false,
        kind: Some(kind),
        detail,
    }
}
