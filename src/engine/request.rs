//! Request descriptions: what adapters build and the engine sends or prints.
//!
//! A dry run prints exactly these values, and a real run sends exactly these values,
//! so the two cannot drift apart. Credentials are [`Secret`] header values and print
//! as `<redacted>` everywhere.

use bytes::Bytes;
use serde_json::{Map, Value};

use crate::secret::{REDACTED, Secret};

/// The HTTP methods the four APIs use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Read requests.
    Get,
    /// Origin deletes and Sertifika issuing.
    Post,
    /// BCdiploma disable/enable, DigiCert revoke and request status.
    Put,
    /// BCdiploma and Sertifika deletions.
    Delete,
}

impl Method {
    /// The method's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }
}

/// A header value that is either plain text or a credential.
#[derive(Debug, Clone)]
pub enum HeaderValue {
    /// Shown as is.
    Plain(String),
    /// Sent as is, shown as `<redacted>`.
    Secret(Secret),
}

impl HeaderValue {
    /// The value as logs and dry runs may show it.
    pub fn shown(&self) -> &str {
        match self {
            HeaderValue::Plain(s) => s,
            HeaderValue::Secret(_) => REDACTED,
        }
    }

    /// The value as it goes on the wire.
    pub fn exposed(&self) -> &str {
        match self {
            HeaderValue::Plain(s) => s,
            HeaderValue::Secret(s) => s.expose(),
        }
    }
}

/// One HTTP request, fully described.
#[derive(Debug, Clone)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The full URL, query included.
    pub url: String,
    /// Headers with lowercase names, in the order they are sent.
    pub headers: Vec<(&'static str, HeaderValue)>,
    /// A JSON body, already serialized.
    pub body: Option<Bytes>,
}

impl Request {
    /// A request with no headers and no body.
    pub fn new(method: Method, url: impl Into<String>) -> Self {
        Request {
            method,
            url: url.into(),
            headers: Vec::new(),
            body: None,
        }
    }

    /// Adds a plain header.
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, HeaderValue::Plain(value.into())));
        self
    }

    /// Adds a credential header, redacted wherever it is shown.
    pub fn secret_header(mut self, name: &'static str, value: Secret) -> Self {
        self.headers.push((name, HeaderValue::Secret(value)));
        self
    }

    /// Sets a JSON body and its `content-type`.
    pub fn json(self, body: &impl serde::Serialize) -> Self {
        // Serializing plain data structures (strings, numbers, maps with string keys)
        // cannot fail; an empty body would be caught by the provider as invalid.
        self.json_bytes(serde_json::to_vec(body).unwrap_or_default())
    }

    /// Sets a JSON body serialized by the caller (see [`crate::json`]) and its
    /// `content-type`.
    pub fn json_bytes(mut self, body: Vec<u8>) -> Self {
        self.body = Some(Bytes::from(body));
        self.header("content-type", "application/json")
    }

    /// The request as a dry run shows it: secrets redacted, the body as JSON.
    pub fn to_display_json(&self) -> Value {
        let mut headers = Map::new();
        for (name, value) in &self.headers {
            headers.insert(
                (*name).to_string(),
                Value::String(value.shown().to_string()),
            );
        }
        let mut out = Map::new();
        out.insert("method".into(), Value::String(self.method.as_str().into()));
        out.insert("url".into(), Value::String(self.url.clone()));
        out.insert("headers".into(), Value::Object(headers));
        if let Some(body) = &self.body {
            let value = serde_json::from_slice(body)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()));
            out.insert("body".into(), value);
        }
        Value::Object(out)
    }

    /// The request as a dry run shows it in text mode, like an HTTP message.
    pub fn to_display_text(&self) -> String {
        let mut out = format!("{} {}\n", self.method.as_str(), self.url);
        for (name, value) in &self.headers {
            out.push_str(&format!("{name}: {}\n", value.shown()));
        }
        if let Some(body) = &self.body {
            out.push('\n');
            out.push_str(&String::from_utf8_lossy(body));
            out.push('\n');
        }
        out
    }
}

impl crate::report::Shown for Request {
    fn display_json(&self) -> Value {
        self.to_display_json()
    }

    fn display_text(&self) -> String {
        self.to_display_text()
    }
}

/// What came back for a request.
#[derive(Debug, Clone)]
pub struct Response {
    /// The HTTP status code.
    pub status: u16,
    /// `Retry-After`, when present (seconds or an HTTP date).
    pub retry_after: Option<String>,
    /// The body, unparsed.
    pub body: Bytes,
    /// Whether an earlier attempt of the same request got no answer and may have
    /// been applied: a refusal now may be the consequence (a key already deleted).
    pub after_lost_attempt: bool,
}

impl Response {
    /// The body parsed as JSON, when it is JSON.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The body as an item's reply, passed through unparsed; `None` unless it is
    /// JSON other than `null`.
    pub fn reply(&self) -> Option<crate::report::Reply> {
        crate::report::Reply::raw(&self.body)
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_redacts_secrets_and_parses_the_body() {
        let req = Request::new(Method::Put, "https://x/admin/keys")
            .secret_header("authorization", Secret::new("Bearer tok"))
            .json(&serde_json::json!({"ids": ["k1"], "enable": false}));
        let shown = req.to_display_json();
        assert_eq!(
            shown,
            serde_json::json!({
                "method": "PUT", "url": "https://x/admin/keys",
                "headers": {"authorization": "<redacted>", "content-type": "application/json"},
                "body": {"ids": ["k1"], "enable": false}
            })
        );
        let text = req.to_display_text();
        assert!(text.contains("authorization: <redacted>"));
        assert!(!text.contains("tok"));
    }
}
