//! IDs read line by line from a file or standard input: trimmed, blank lines and
//! `#` comments skipped, without copying each line first.

use std::io::Read;

use crate::error::{Error, Result};

/// Meaningful lines of a reader: trimmed, blank lines and `#` comments skipped.
///
/// Its own buffer and `memchr` instead of `BufRead::read_line`: a line is found,
/// checked as UTF-8 and trimmed in place, without being copied into a `String`
/// first, which was a fifth of a 100,000-key run.
pub(super) struct Lines {
    reader: Box<dyn Read + Send>,
    name: String,
    line: usize,
    buf: Vec<u8>,
    /// The unread bytes are `buf[start..end]`.
    start: usize,
    end: usize,
    eof: bool,
}

/// How much of the input is read at a time; a longer line grows the buffer.
pub(super) const CHUNK: usize = 64 * 1024;

impl Lines {
    pub(super) fn new(reader: Box<dyn Read + Send>, name: String) -> Self {
        Lines {
            reader,
            name,
            line: 0,
            buf: vec![0; CHUNK],
            start: 0,
            end: 0,
            eof: false,
        }
    }

    /// The bytes of the next line without its `\n`, as a range of `buf`; `None` at
    /// the end of the input.
    pub(super) fn next_raw(&mut self) -> Option<Result<(usize, usize)>> {
        loop {
            if let Some(i) = memchr::memchr(b'\n', &self.buf[self.start..self.end]) {
                let line = (self.start, self.start + i);
                self.start += i + 1;
                return Some(Ok(line));
            }
            if self.eof {
                if self.start == self.end {
                    return None;
                }
                let line = (self.start, self.end);
                self.start = self.end;
                return Some(Ok(line));
            }
            // Keep the partial line, at the front, and read more after it.
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
            if self.end == self.buf.len() {
                self.buf.resize(self.buf.len() * 2, 0);
            }
            match self.reader.read(&mut self.buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(n) => self.end += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    return Some(Err(Error::usage(format!(
                        "cannot read line {} of {}: {e}",
                        self.line + 1,
                        self.name
                    ))));
                }
            }
        }
    }

    /// The next meaningful line, borrowed: the first pass over a file checks and
    /// counts its IDs without allocating one string per line.
    pub(super) fn next_str(&mut self) -> Option<Result<&str>> {
        let (start, end) = loop {
            let (start, end) = match self.next_raw()? {
                Ok(range) => range,
                Err(e) => return Some(Err(e)),
            };
            self.line += 1;
            let (mut start, mut end) = trim_ascii(&self.buf, start, end);
            // `trim_ascii` leaves Unicode spaces and the vertical tab, which `str::trim`
            // also removes; they are rare, so only lines that have them pay for it.
            if needs_full_trim(&self.buf[start..end]) {
                let Ok(id) = std::str::from_utf8(&self.buf[start..end]) else {
                    return Some(Err(self.not_utf8()));
                };
                let trimmed = id.trim();
                start += id.len() - id.trim_start().len();
                end = start + trimmed.len();
            }
            // Blank lines and comments are skipped unchecked, as unread.
            if start < end && self.buf[start] != b'#' {
                break (start, end);
            }
        };
        match std::str::from_utf8(&self.buf[start..end]) {
            Ok(id) => Some(Ok(id)),
            Err(_) => Some(Err(self.not_utf8())),
        }
    }

    pub(super) fn not_utf8(&self) -> Error {
        Error::usage(format!(
            "line {} of {} is not valid UTF-8",
            self.line, self.name
        ))
    }
}

/// The range of `buf[start..end]` without ASCII whitespace at either end.
pub(super) fn trim_ascii(buf: &[u8], start: usize, end: usize) -> (usize, usize) {
    let trimmed = buf[start..end].trim_ascii_start();
    let start = end - trimmed.len();
    let end = start + trimmed.trim_ascii_end().len();
    (start, end)
}

/// Whether `str::trim` could remove more than `trim_ascii` did: the line starts or
/// ends with a non-ASCII byte or a vertical tab.
pub(super) fn needs_full_trim(line: &[u8]) -> bool {
    let edge = |b: Option<&u8>| b.is_some_and(|&b| !b.is_ascii() || b == 0x0B);
    edge(line.first()) || edge(line.last())
}

impl Iterator for Lines {
    type Item = Result<String>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_str().map(|r| r.map(str::to_string))
    }
}
