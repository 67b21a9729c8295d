//! A credential that cannot be printed by accident.
//!
//! Tokens and API keys live in [`Secret`] from the moment they are read; its `Debug`
//! and `Display` print `<redacted>`, so a log line, an error or a dry run that
//! formats one shows nothing. Only the engine, when it builds the real request,
//! calls [`Secret::expose`].

use std::fmt;

/// The text every redacted secret is shown as.
pub const REDACTED: &str = "<redacted>";

/// A token or API key whose formatting never reveals it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a credential read from a flag, the environment or a file.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The credential itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the credential can be sent as an HTTP header value: visible ASCII,
    /// spaces and tabs only. A control character or a line break would make every
    /// request fail before it leaves (or, worse, split the header), so such a
    /// setting is refused when it is read instead of retried as a network failure.
    pub fn is_header_safe(&self) -> bool {
        self.0
            .bytes()
            .all(|b| b == b'\t' || (b' '..=b'~').contains(&b))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting_never_shows_the_value() {
        let s = Secret::new("hunter2");
        assert_eq!(
            format!("{s} {s:?} {:?}", Some(&s)),
            "<redacted> <redacted> Some(<redacted>)"
        );
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn control_characters_and_line_breaks_are_not_header_safe() {
        assert!(Secret::new("abc DEF-123_~\t").is_header_safe());
        for bad in ["abc\u{1}", "abc\n", "a\rb", "abc\u{7f}", "ab\u{e9}"] {
            assert!(!Secret::new(bad).is_header_safe(), "{bad:?}");
        }
    }
}
