//! The one error type of certctl, and [`ExitStatus`]: how a command ended, and the
//! one table that turns it into the process exit code.
//!
//! Every failure, whether it stops the whole command or only one item, carries an
//! [`ErrorKind`]; the exit code and the `error.kind` of the JSON output are derived
//! from it here and nowhere else, so scripts can rely on them.

use serde::Serialize;

/// What went wrong, as scripts see it: the JSON `error.kind` and the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The provider refused the operation (validation, `ERROR` state, other 4xx).
    Rejected,
    /// The credentials were refused (401, 403, DigiCert `access_denied_invalid_key`).
    Auth,
    /// The item does not exist (404, Sertifika's "undefined or is deleted").
    NotFound,
    /// Worth running again later: network failure, timeout, 429 or 5xx after retries.
    Transient,
    /// The provider answered something certctl cannot read as the documented shape.
    InvalidResponse,
    /// certctl refused to go on: a redirect, a callback to a foreign host, a journal failure.
    Refused,
    /// Bad arguments or input, or confirmation declined.
    Usage,
    /// A missing or invalid setting, or an unreadable config file.
    Config,
    /// Ctrl-C or SIGTERM stopped the run.
    Interrupted,
    /// Standard output was closed by its reader (`| head`): nobody failed, so the
    /// exit is quiet and 0, as for other Unix tools.
    BrokenPipe,
}

/// How a command ended, as a script sees it (see "Exit codes" in the README): the
/// one value `main` turns into the process exit code, as uv's `ExitStatus` is.
/// [`ExitStatus::code`] is the only place an end is given a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Everything asked was done (also: a dry run, a read, a passing check).
    Success,
    /// Some items succeeded and some failed.
    Partial,
    /// Some changes that are not safe to send twice may or may not have been applied.
    Unknown,
    /// It failed, was refused as used, or was interrupted: the kind says how.
    Failed(ErrorKind),
}

impl ExitStatus {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success | ExitStatus::Failed(ErrorKind::BrokenPipe) => 0,
            ExitStatus::Failed(
                ErrorKind::Rejected | ErrorKind::InvalidResponse | ErrorKind::Refused,
            ) => 1,
            ExitStatus::Failed(ErrorKind::Usage) => 2,
            ExitStatus::Partial => 3,
            ExitStatus::Failed(ErrorKind::Auth | ErrorKind::Config) => 4,
            ExitStatus::Failed(ErrorKind::NotFound) => 5,
            ExitStatus::Failed(ErrorKind::Transient) => 6,
            ExitStatus::Unknown => 7,
            ExitStatus::Failed(ErrorKind::Interrupted) => 130,
        }
    }
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(status: ExitStatus) -> Self {
        std::process::ExitCode::from(status.code())
    }
}

impl ErrorKind {
    /// The snake_case name used in JSON output and the journal.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Rejected => "rejected",
            ErrorKind::Auth => "auth",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Transient => "transient",
            ErrorKind::InvalidResponse => "invalid_response",
            ErrorKind::Refused => "refused",
            ErrorKind::Usage => "usage",
            ErrorKind::Config => "config",
            ErrorKind::Interrupted => "interrupted",
            ErrorKind::BrokenPipe => "broken_pipe",
        }
    }
}

/// A failure that stops the command: one plain sentence, a kind, and maybe a hint
/// saying what to do about it.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    kind: ErrorKind,
    message: String,
    hint: Option<String>,
}

impl Error {
    /// An error of any kind with its sentence.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            hint: None,
        }
    }

    /// Bad arguments or input: exit 2, nothing sent.
    pub fn usage(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Usage, message)
    }

    /// A missing or invalid setting: exit 4.
    pub fn config(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Config, message)
    }

    /// Standard output was closed by its reader.
    pub fn broken_pipe() -> Self {
        Error::new(ErrorKind::BrokenPipe, "standard output was closed")
    }

    /// Adds what the user can do about it, printed after the sentence.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// The kind that decides the exit code.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// What to do about it, when certctl knows.
    pub fn hint_text(&self) -> Option<&str> {
        self.hint.as_deref()
    }
}

/// Shorthand for results whose error is certctl's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why one item of an operation failed, as reported in its `error` object.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ItemError {
    /// The kind that decides the exit code when every item failed.
    pub kind: ErrorKind,
    /// The HTTP status of the answer, when there was one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    /// The provider's error code (DigiCert `code`, Origin `CE0000x`), when it gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The provider's message, or certctl's own sentence.
    pub message: String,
    /// Whether the request may have reached the server and been applied (the
    /// connection dropped after it was written, or the request timed out). The
    /// engine makes such an item `unknown` when its operation is not idempotent.
    #[serde(skip)]
    pub maybe_applied: bool,
}

impl ItemError {
    /// An item error without an HTTP status or provider code.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ItemError {
            kind,
            http_status: None,
            code: None,
            message: message.into(),
            maybe_applied: false,
        }
    }

    /// Marks a failure after which the request may have been applied.
    pub fn maybe_applied(mut self) -> Self {
        self.maybe_applied = true;
        self
    }

    /// Whether this failure leaves the change undecided for an operation that is not
    /// safe to send twice (README, "When a run is cut or its outcome is unknown"): the request may have
    /// reached the server, a 2xx answer was not the documented success, or a gateway
    /// answered in the provider's place (502, 504: the request may have reached the
    /// provider behind it, which is no clear refusal).
    pub fn leaves_unknown(&self) -> bool {
        self.maybe_applied
            || (self.kind == ErrorKind::InvalidResponse
                && self.http_status.is_none_or(|s| (200..300).contains(&s)))
            || (self.kind == ErrorKind::Transient && matches!(self.http_status, Some(502 | 504)))
    }

    /// Records the HTTP status the failure came with.
    pub fn status(mut self, status: u16) -> Self {
        self.http_status = Some(status);
        self
    }

    /// Records the provider's own error code.
    pub fn code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }
}

/// The error kind an HTTP status means when the body says nothing more precise.
pub fn kind_for_status(status: u16) -> ErrorKind {
    match status {
        401 | 403 => ErrorKind::Auth,
        404 => ErrorKind::NotFound,
        408 | 429 | 500..=599 => ErrorKind::Transient,
        300..=399 => ErrorKind::Refused,
        _ => ErrorKind::Rejected,
    }
}

/// An error for a status whose body could not be read as the provider's error shape:
/// the status decides the kind, and a short excerpt of the body is the message.
pub fn unreadable_error(status: u16, body: &[u8]) -> ItemError {
    let text = String::from_utf8_lossy(body);
    let excerpt: String = text.trim().chars().take(200).collect();
    let message = if excerpt.is_empty() {
        format!("the provider answered HTTP {status} with no message")
    } else if excerpt.starts_with('<') {
        format!("the provider answered HTTP {status} with an HTML page instead of its API error")
    } else {
        format!("the provider answered HTTP {status}: {excerpt}")
    };
    ItemError::new(kind_for_status(status), message).status(status)
}

/// A failure to write stdout; a closed pipe is told apart in `main`.
pub fn io_error(e: std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        Error::broken_pipe()
    } else {
        Error::new(ErrorKind::Refused, format!("cannot write the output: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_the_contract() {
        let table = [
            (ExitStatus::Success, 0),
            (ExitStatus::Partial, 3),
            (ExitStatus::Unknown, 7),
            (ExitStatus::Failed(ErrorKind::Rejected), 1),
            (ExitStatus::Failed(ErrorKind::InvalidResponse), 1),
            (ExitStatus::Failed(ErrorKind::Refused), 1),
            (ExitStatus::Failed(ErrorKind::Usage), 2),
            (ExitStatus::Failed(ErrorKind::Auth), 4),
            (ExitStatus::Failed(ErrorKind::Config), 4),
            (ExitStatus::Failed(ErrorKind::NotFound), 5),
            (ExitStatus::Failed(ErrorKind::Transient), 6),
            (ExitStatus::Failed(ErrorKind::Interrupted), 130),
            (ExitStatus::Failed(ErrorKind::BrokenPipe), 0),
        ];
        for (status, code) in table {
            assert_eq!(status.code(), code, "{status:?}");
        }
    }

    #[test]
    fn kinds_serialize_as_the_contract_names() {
        let json = serde_json::to_string(&ErrorKind::InvalidResponse).unwrap();
        assert_eq!(json, "\"invalid_response\"");
        assert_eq!(ErrorKind::NotFound.as_str(), "not_found");
    }

    #[test]
    fn statuses_map_to_kinds() {
        assert_eq!(kind_for_status(400), ErrorKind::Rejected);
        assert_eq!(kind_for_status(401), ErrorKind::Auth);
        assert_eq!(kind_for_status(403), ErrorKind::Auth);
        assert_eq!(kind_for_status(404), ErrorKind::NotFound);
        assert_eq!(kind_for_status(429), ErrorKind::Transient);
        assert_eq!(kind_for_status(500), ErrorKind::Transient);
        assert_eq!(kind_for_status(302), ErrorKind::Refused);
        assert_eq!(kind_for_status(422), ErrorKind::Rejected);
    }

    #[test]
    fn html_bodies_are_not_dumped() {
        let e = unreadable_error(502, b"<html><body>Bad gateway</body></html>");
        assert!(e.message.contains("HTML page"), "{}", e.message);
        assert_eq!(e.kind, ErrorKind::Transient);
    }
}
