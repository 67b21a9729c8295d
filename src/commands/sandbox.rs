//! `certctl sandbox serve` and the in-process emulator behind `--sandbox`.

use std::io::Write;

use crate::cli::SandboxArgs;
use crate::error::{Error, ErrorKind, Result};
use crate::outcome::Outcome;
use crate::sandbox::{self, Faults, Handle, Options};

/// Serves the emulator until Ctrl-C, after printing a ready-to-use profile (and
/// writing it to `--write-config`'s file before the first connection is accepted).
pub async fn serve(args: SandboxArgs) -> Result<Outcome> {
    let options = Options {
        faults: parse_faults(args.faults.as_deref().unwrap_or(""))?,
        seed: args.seed,
        limits: args.limits,
        limit_scale: args.limit_scale,
        orders: args.orders,
    };
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| Error::usage(format!("cannot listen on {}: {e}", args.listen)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::usage(format!("cannot listen on {}: {e}", args.listen)))?;
    let base = sandbox::base_url(addr);
    if let Some(path) = &args.write_config {
        let config = format!(
            "# certctl sandbox at {base}: use this file as CERTCTL_CONFIG.\ndefault_profile = \"sandbox\"\n\n{}",
            sandbox::profile_toml(&base)
        );
        crate::files::write_whole(path, config.as_bytes()).map_err(|e| {
            Error::usage(format!(
                "cannot write the sandbox config to {}: {e}",
                path.display()
            ))
        })?;
    }
    let handle = sandbox::start(listener, options).await.map_err(|e| {
        if let Some(path) = &args.write_config {
            let _ = std::fs::remove_file(path);
        }
        Error::usage(format!("cannot start the emulator: {e}"))
    })?;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "# certctl sandbox listening on {base} (Ctrl-C to stop)\n# Paste this into your config file and use `--profile sandbox`:\n\n{}",
        sandbox::profile_toml(&base)
    );
    let _ = out.flush();
    drop(out);
    let _ = tokio::signal::ctrl_c().await;
    handle.shutdown().await;
    Ok(Outcome::Success)
}

/// Starts the emulator on a free loopback port for `--sandbox`, with the knobs of
/// `CERTCTL_SANDBOX_FAULTS`, `CERTCTL_SANDBOX_SEED`, `CERTCTL_SANDBOX_LIMITS=1` and
/// `CERTCTL_SANDBOX_LIMIT_SCALE` (every rate window's period times F, so a pacing
/// rehearsal of minutes takes seconds; certctl then paces to the scaled windows) and
/// `CERTCTL_SANDBOX_ORDERS` (how many DigiCert orders to seed).
/// Returns the emulator and that scale.
pub async fn start_in_process() -> Result<(Handle, f64)> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let seed = match env("CERTCTL_SANDBOX_SEED") {
        Some(s) => Some(s.parse::<u64>().map_err(|_| {
            Error::usage(format!("CERTCTL_SANDBOX_SEED `{s}` is not a whole number"))
        })?),
        None => None,
    };
    let limit_scale = match env("CERTCTL_SANDBOX_LIMIT_SCALE") {
        Some(s) => s
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite() && *f > 0.0 && *f <= 1.0)
            .ok_or_else(|| {
                Error::usage(format!(
                    "CERTCTL_SANDBOX_LIMIT_SCALE `{s}` is not a number above 0 and at most 1"
                ))
            })?,
        None => 1.0,
    };
    let orders = match env("CERTCTL_SANDBOX_ORDERS") {
        Some(s) => s
            .parse::<u64>()
            .ok()
            .filter(|n| (1..=sandbox::MAX_ORDERS).contains(n))
            .ok_or_else(|| {
                Error::usage(format!(
                    "CERTCTL_SANDBOX_ORDERS `{s}` is not a whole number from 1 to {}",
                    sandbox::MAX_ORDERS
                ))
            })?,
        None => sandbox::DEFAULT_ORDERS,
    };
    let options = Options {
        faults: parse_faults(env("CERTCTL_SANDBOX_FAULTS").as_deref().unwrap_or(""))?,
        seed,
        limits: env("CERTCTL_SANDBOX_LIMITS").is_some_and(|v| v == "1" || v == "true"),
        limit_scale,
        orders,
    };
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .map_err(|e| {
            Error::new(
                ErrorKind::Transient,
                format!("cannot open a loopback port for the sandbox: {e}"),
            )
        })?;
    let handle = sandbox::start(listener, options).await.map_err(|e| {
        Error::new(
            ErrorKind::Transient,
            format!("cannot start the sandbox: {e}"),
        )
    })?;
    Ok((handle, limit_scale))
}

fn parse_faults(spec: &str) -> Result<Faults> {
    spec.parse::<Faults>()
        .map_err(|e| Error::usage(format!("the fault spec `{spec}` is not valid: {e}")))
}
