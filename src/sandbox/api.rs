//! What every emulated API is built from: the fixed credentials, a call as the
//! handlers see it, their answer, and the [`Emulation`] each provider's module
//! implements.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::Query;
use axum::http::header::{CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderMap, HeaderValue, Method, Response, StatusCode, Uri};
use serde_json::Value;

use super::stats::Stats;

/// Fixed credential accepted by every emulated provider (DigiCert: as API key), so a
/// new user needs no account and the profile printed on start works as is.
pub const TOKEN: &str = "sandbox-token";

/// Company id the emulated Sertifika Merkezi accepts: its paths carry a company and
/// the real API refuses any other.
pub const COMPANY: &str = "sandbox-company";

/// One provider's emulated API: its data and its handlers, in the provider's own
/// module. The emulator is the oracle the adapters are tested against, so it shares
/// no code with them; only where each API lives and its budget come from the
/// registry.
pub(super) trait Emulation: Send {
    /// An error answer in this provider's documented shape.
    fn error(&self, status: StatusCode, message: &str) -> Resp;

    /// A 429; without `Retry-After` unless the real API sends one.
    fn too_many(&self, _retry_after_secs: u64) -> Resp {
        self.error(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many requests, slow down.",
        )
    }

    /// Answers a call past faults and limits, counting each real change in `stats`.
    fn handle(&mut self, call: &Call<'_>, stats: &mut Stats) -> Resp;
}

/// A handler's answer: a status and a JSON body, or none for an empty body. Kept
/// small so handlers can pass it around in `Result`s; it becomes an HTTP response
/// only at the edge.
pub(super) struct Resp {
    pub(super) status: StatusCode,
    pub(super) body: Payload,
    /// `Retry-After` in seconds, for BCdiploma's 429s.
    pub(super) retry_after: Option<u64>,
}

/// A JSON body to send, or the function that writes one.
pub(super) enum Payload {
    /// No body.
    Empty,
    /// A body built by the handler.
    Json(Value),
    /// A body written after the emulator's lock is released, from a copy of the
    /// state it shows, on the blocking pool: certctl's runtime has one thread, and a
    /// page of a thousand orders is serialised while other connections are served,
    /// as a real API serves concurrent pages in parallel.
    Deferred(Box<dyn FnOnce() -> Vec<u8> + Send>),
}

impl Resp {
    pub(super) async fn into_http(self) -> Response<Body> {
        let bytes = match self.body {
            Payload::Empty => None,
            Payload::Json(value) => Some(value.to_string().into_bytes()),
            Payload::Deferred(write) => {
                Some(tokio::task::spawn_blocking(write).await.unwrap_or_default())
            }
        };
        let mut response = match bytes {
            Some(bytes) => {
                let mut response = Response::new(Body::from(bytes));
                response.headers_mut().insert(
                    CONTENT_TYPE,
                    HeaderValue::from_static("application/json; charset=utf-8"),
                );
                response
            }
            None => Response::new(Body::empty()),
        };
        *response.status_mut() = self.status;
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

/// One API request as the provider handlers see it: already past faults and limits,
/// body read, path cut into segments below the provider prefix.
pub(super) struct Call<'a> {
    pub(super) method: &'a Method,
    /// Path segments below the prefix; empty ones (trailing `/`) dropped.
    pub(super) segs: Vec<&'a str>,
    pub(super) uri: &'a Uri,
    pub(super) headers: &'a HeaderMap,
    pub(super) body: &'a [u8],
    /// `http://host:port` as the client addressed the server, for absolute URLs.
    pub(super) origin: String,
}

impl Call<'_> {
    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub(super) fn json(&self) -> Option<Value> {
        serde_json::from_slice(self.body).ok()
    }

    pub(super) fn query(&self, key: &str) -> Option<String> {
        let Query(mut pairs) = Query::<HashMap<String, String>>::try_from_uri(self.uri).ok()?;
        pairs.remove(key)
    }

    /// Every query pair, percent-decoded, in order (repeated keys kept).
    pub(super) fn query_pairs(&self) -> Vec<(String, String)> {
        let query = self.uri.query().unwrap_or("");
        url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect()
    }

    pub(super) fn is_json(&self) -> bool {
        self.header(CONTENT_TYPE.as_str()).is_some_and(|v| {
            v.trim()
                .to_ascii_lowercase()
                .starts_with("application/json")
        })
    }
}

pub(super) fn json(status: StatusCode, body: Value) -> Resp {
    Resp {
        status,
        body: Payload::Json(body),
        retry_after: None,
    }
}

pub(super) fn empty(status: StatusCode) -> Resp {
    Resp {
        status,
        body: Payload::Empty,
        retry_after: None,
    }
}

/// A 200 whose body `write` serialises once the lock is released.
pub(super) fn deferred(write: impl FnOnce() -> Vec<u8> + Send + 'static) -> Resp {
    Resp {
        status: StatusCode::OK,
        body: Payload::Deferred(Box::new(write)),
        retry_after: None,
    }
}
