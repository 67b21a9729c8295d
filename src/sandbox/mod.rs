//! The sandbox emulator: a stateful, in-memory stand-in for the four providers' HTTP
//! APIs (README, "Use in CI"), served on a listener the caller has bound.
//!
//! This module owns the public face (`Options`, `start`, `Handle`, `profile_toml`),
//! the connection serving (hyper, so that a fault can drop a connection with no
//! answer) and the per-request pipeline: stats, fault draw, rate windows, body, then
//! the provider's handler. Each provider's routes, checks and error shapes live in
//! its own file; fault parsing, the PRNG and the windows in `faults.rs`; the shared
//! state and the stats in `state.rs`.

mod api;
mod bcdiploma;
mod digicert;
mod faults;
mod origin;
mod sertifika;
mod state;
mod stats;
#[cfg(test)]
mod tests;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use axum::body::Body;
use axum::http::header::HOST;
use axum::http::{Method, Request, StatusCode};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};

pub use api::TOKEN;
use api::{Call, Emulation, Resp, empty, json};
pub use digicert::{DEFAULT_ORDERS, MAX_ORDERS};
use faults::Fault;
pub use faults::Faults;
use state::World;

use crate::registry::{PROVIDERS, ProviderId};

/// Largest request body read; bigger ones get the provider's 400.
const BODY_LIMIT: usize = 16 << 20;

/// How the emulator misbehaves: the knobs of `sandbox serve` and `--sandbox`.
#[derive(Debug, Clone)]
pub struct Options {
    /// Share of API requests that fail on purpose, to exercise retries and recovery.
    pub faults: Faults,
    /// Seed of the fault draws; the same seed gives the same fault sequence, so a
    /// failing script run can be replayed. `None` seeds from the clock.
    pub seed: Option<u64>,
    /// Enforce BCdiploma's and DigiCert's documented rate windows, so pacing can be
    /// checked without a real account.
    pub limits: bool,
    /// Factor applied to every window's period (1.0 = the real windows); tests shrink
    /// them to keep runs short. Must be finite and above zero.
    pub limit_scale: f64,
    /// How many DigiCert orders the account holds (1 to [`MAX_ORDERS`]), to
    /// rehearse listing and selecting at the size of a real account.
    pub orders: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            faults: Faults::default(),
            seed: None,
            limits: false,
            limit_scale: 1.0,
            orders: DEFAULT_ORDERS,
        }
    }
}

/// A running emulator. Dropping it stops the server at once (open connections
/// included), so a test or `--sandbox` run cannot leak it; `shutdown` does the same
/// and waits until the serving task has ended.
#[derive(Debug)]
pub struct Handle {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Handle {
    /// Root URL to hand to clients (`http://127.0.0.1:PORT`).
    pub fn base_url(&self) -> String {
        base_url(self.addr)
    }

    /// Stop accepting, close every connection and wait for the serving task to end.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// Root URL of an emulator bound to `addr`, known before it serves (so
/// `--write-config` can write it first); a wildcard bind is reported as loopback,
/// since that is where a local client can reach it.
pub fn base_url(addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}", SocketAddr::new(ip, addr.port()))
}

/// Serve the emulator on an already-bound listener in a spawned task. Taking a bound
/// listener keeps the caller in charge of the address (a fixed `--listen` or a free
/// loopback port) and lets it know the port before any request.
pub async fn start(listener: TcpListener, options: Options) -> std::io::Result<Handle> {
    if !(options.limit_scale.is_finite() && options.limit_scale > 0.0) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!(
                "limit_scale must be a finite number above zero, not {}",
                options.limit_scale
            ),
        ));
    }
    if !(1..=MAX_ORDERS).contains(&options.orders) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!(
                "the number of orders must be between 1 and {MAX_ORDERS}, not {}",
                options.orders
            ),
        ));
    }
    let addr = listener.local_addr()?;
    let shared = Arc::new(Shared::new(&options));
    let (stop, mut stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let mut connections = JoinSet::new();
        loop {
            tokio::select! {
                _ = &mut stopped => break,
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => {
                        let shared = Arc::clone(&shared);
                        connections.spawn(serve_connection(shared, stream, addr));
                    }
                    Err(error) => {
                        // Out of descriptors and the like: wait instead of spinning.
                        tracing::warn!(%error, "sandbox: accept failed");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    }
                },
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
            }
        }
    });
    Ok(Handle {
        addr,
        stop: Some(stop),
        task: Some(task),
    })
}

/// The ready-to-paste configuration profile for a server at `base`, printed by
/// `sandbox serve` so a user can point certctl at it without reading docs: one table
/// per row of the registry, with the emulator's fixed credential.
pub fn profile_toml(base: &str) -> String {
    let base = base.trim_end_matches('/');
    let mut out = String::new();
    for p in &PROVIDERS {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&format!(
            "[profiles.sandbox.{}]\nbase_url = \"{base}{}\"\n{} = \"{TOKEN}\"\n",
            p.name, p.sandbox_prefix, p.secret_key
        ));
        for (key, value) in p.extra_keys.iter().zip(p.sandbox_extras) {
            out.push_str(&format!("{key} = \"{value}\"\n"));
        }
    }
    out
}

/// What every connection task shares: the configuration and the one locked world.
struct Shared {
    faults: Faults,
    world: Mutex<World>,
}

impl Shared {
    fn new(options: &Options) -> Self {
        let seed = options.seed.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64)
        });
        let limits = options.limits.then_some(options.limit_scale);
        Shared {
            faults: options.faults.clone(),
            world: Mutex::new(World::new(
                PROVIDERS.iter().map(|p| emulation(p.id, options)).collect(),
                seed,
                limits,
            )),
        }
    }

    /// The world, even after a panic in another handler: the emulator keeps serving.
    fn world(&self) -> MutexGuard<'_, World> {
        self.world
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The error a request's service returns to make hyper close the connection without
/// writing an answer (faults `reset` and `reset-after`).
#[derive(Debug, thiserror::Error)]
#[error("connection dropped on purpose by the sandbox fault injector")]
struct Dropped;

async fn serve_connection(shared: Arc<Shared>, stream: tokio::net::TcpStream, local: SocketAddr) {
    let service = service_fn(move |request| {
        let answer = handle_request(Arc::clone(&shared), request, local);
        async move {
            match answer.await {
                Ok(resp) => Ok(resp.into_http().await),
                Err(dropped) => Err(dropped),
            }
        }
    });
    if let Err(error) = http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .await
    {
        tracing::debug!("sandbox: connection ended: {error}");
    }
}

/// A freshly seeded emulation of `provider`: the one place the emulators are listed.
fn emulation(provider: ProviderId, options: &Options) -> Box<dyn Emulation> {
    match provider {
        ProviderId::Bcdiploma => Box::new(bcdiploma::State::seed()),
        ProviderId::Origin => Box::new(origin::State::seed()),
        ProviderId::Digicert => Box::new(digicert::State::seed(options.orders)),
        ProviderId::Sertifika => Box::new(sertifika::State::seed()),
    }
}

/// The provider whose prefix `path` starts with, and the path below the prefix.
fn split(path: &str) -> Option<(ProviderId, &str)> {
    PROVIDERS.iter().find_map(|p| {
        let rest = path.strip_prefix(p.sandbox_prefix)?;
        (rest.is_empty() || rest.starts_with('/')).then_some((p.id, rest))
    })
}

/// The per-request pipeline: stats, one fault draw, rate windows, body, handler, and
/// last the fault's after-effect (delay or dropped connection).
async fn handle_request(
    shared: Arc<Shared>,
    request: Request<Incoming>,
    local: SocketAddr,
) -> Result<Resp, Dropped> {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path();
    if path == "/_sandbox/stats" {
        return Ok(match parts.method {
            Method::GET => json(StatusCode::OK, shared.world().stats.to_json()),
            _ => empty(StatusCode::METHOD_NOT_ALLOWED),
        });
    }
    let Some((provider, rest)) = split(path) else {
        let prefixes: Vec<&str> = PROVIDERS.iter().map(|p| p.sandbox_prefix).collect();
        let message = format!(
            "No emulated API under this path; use {}.",
            prefixes.join(", ")
        );
        return Ok(json(
            StatusCode::NOT_FOUND,
            serde_json::json!({ "message": message }),
        ));
    };
    let mutating = !matches!(parts.method, Method::GET | Method::HEAD);
    let fault = {
        let mut world = shared.world();
        world.stats.request(&format!("{} {path}", parts.method));
        let fault = world.draw(&shared.faults, mutating);
        if let Some(early) = fault.and_then(|f| early_answer(&world, provider, f)) {
            return early;
        }
        if let Err(wait) = world.admit(provider, Instant::now()) {
            let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
            return Ok(world.too_many(provider, secs));
        }
        fault
    };
    let body = match axum::body::to_bytes(Body::new(body), BODY_LIMIT).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return Ok(shared.world().error(
                provider,
                StatusCode::BAD_REQUEST,
                "The request body could not be read.",
            ));
        }
    };
    let origin = parts
        .headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .map_or_else(
            || format!("http://{local}"),
            |host| format!("http://{host}"),
        );
    let call = Call {
        method: &parts.method,
        segs: rest.split('/').filter(|s| !s.is_empty()).collect(),
        uri: &parts.uri,
        headers: &parts.headers,
        body: &body,
        origin,
    };
    let response = shared.world().handle(provider, &call);
    match fault {
        Some(Fault::Slow(delay)) => tokio::time::sleep(delay).await,
        Some(Fault::ResetAfter) => return Err(Dropped),
        _ => {}
    }
    Ok(response)
}

/// The answer of a fault that stops the request before it is handled, if `fault` is
/// one of those.
fn early_answer(
    world: &World,
    provider: ProviderId,
    fault: Fault,
) -> Option<Result<Resp, Dropped>> {
    Some(Ok(match fault {
        Fault::TooMany => world.too_many(provider, 1),
        Fault::Unavailable => world.error(
            provider,
            StatusCode::SERVICE_UNAVAILABLE,
            "The service is temporarily unavailable.",
        ),
        Fault::Internal => world.error(
            provider,
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal server error.",
        ),
        Fault::Reset => return Some(Err(Dropped)),
        Fault::Slow(_) | Fault::ResetAfter => return None,
    }))
}
