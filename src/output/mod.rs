//! Everything certctl writes to stdout: operation reports, dry runs and read results,
//! in `text`, `json` or `ndjson` (and, for lists, `ids`), plus the progress bar on
//! stderr.
//!
//! Operation reports are streamed: the JSON document is written as items complete
//! (its header first, `summary` and `outcome` last), so a run over a million keys
//! never holds its items in memory and still prints exactly one document.

mod list;
pub mod table;

pub use list::{Columns, List};

use std::io::{self, BufWriter, IsTerminal, Write};

use serde::Serialize;
use serde_json::Value;

use crate::report::{ItemOutcome, ItemResult, Reply, Shown, Summary, describe};

/// The `--output` formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// For people: aligned tables, one line per item.
    Text,
    /// Exactly one JSON document.
    Json,
    /// One JSON object per line as items complete, then a summary line.
    Ndjson,
    /// The listed objects' IDs, one per line: list commands only, for `--from -`.
    Ids,
}

/// What identifies an operation run in its report.
#[derive(Debug, Clone, Serialize)]
pub struct Meta {
    /// The provider's name.
    pub provider: &'static str,
    /// The operation's name, such as `certificates.delete`.
    pub operation: &'static str,
    /// The profile in use.
    pub profile: String,
    /// Whether nothing is sent.
    pub dry_run: bool,
    /// The run's identifier, also in the journal.
    pub run_id: String,
}

/// Writes an operation's report as items complete.
pub struct Reporter {
    format: Format,
    out: BufWriter<Box<dyn Write + Send>>,
    meta: Meta,
    items_written: u64,
    /// One item's JSON, reused from item to item.
    line: Vec<u8>,
    progress: Option<indicatif::ProgressBar>,
    /// `-q`: text output leaves out the lines of items that succeeded (README, "Output contract").
    quiet: bool,
}

impl Reporter {
    /// Starts the report; `requests` sizes the progress bar when it is known, and
    /// `quiet` (`-q`) hides the bar and, in text, the lines of succeeded items.
    /// Without `progress` (JSON log lines, which a bar would garble) there is no bar.
    pub fn start(
        format: Format,
        meta: Meta,
        requests: Option<u64>,
        quiet: bool,
        progress: bool,
    ) -> io::Result<Reporter> {
        let mut out = BufWriter::with_capacity(64 * 1024, stdout());
        if format == Format::Json {
            let head = serde_json::to_string(&meta).map_err(io::Error::other)?;
            // Reopen the header object to stream `items` into it.
            write!(out, "{},\"items\":[", head.trim_end_matches('}'))?;
        }
        let progress =
            if progress && !quiet && io::stderr().is_terminal() && requests.is_none_or(|n| n > 1) {
                let bar = match requests {
                    Some(n) => indicatif::ProgressBar::new(n),
                    None => indicatif::ProgressBar::new_spinner(),
                };
                bar.set_style(
                    indicatif::ProgressStyle::with_template(
                        "{spinner} {pos}/{len} requests {wide_bar} {eta}",
                    )
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                );
                Some(bar)
            } else {
                None
            };
        Ok(Reporter {
            format,
            out,
            meta,
            items_written: 0,
            line: Vec::new(),
            progress,
            quiet,
        })
    }

    /// Reports the items of one finished request. In text, the items of a batched
    /// request share its answer, so the answer's detail is shown on the first of
    /// them only: a batch of 10,000 keys prints its message once, not 10,000 times.
    pub fn items(&mut self, items: &[ItemOutcome]) -> io::Result<()> {
        let mut shown: Option<&Reply> = None;
        for item in items {
            match self.format {
                Format::Text | Format::Ids => {
                    let line = match &item.result {
                        ItemResult::Succeeded(_) if self.quiet => None,
                        ItemResult::Succeeded(resp) => {
                            let repeated =
                                matches!((shown, resp), (Some(a), Some(b)) if a.same_as(b));
                            if !repeated {
                                shown = resp.as_ref();
                            }
                            let detail = match resp {
                                Some(r) if !repeated => text_detail(Some(&r.value())),
                                _ => String::new(),
                            };
                            Some(format!("succeeded  {}{detail}", item.id))
                        }
                        ItemResult::Failed(e) => {
                            Some(format!("failed     {}  {}", item.id, describe(e)))
                        }
                        ItemResult::Unknown(e) => {
                            Some(format!("unknown    {}  {}", item.id, describe(e)))
                        }
                    };
                    if let Some(line) = line {
                        self.println(&line)?;
                    }
                }
                Format::Json => {
                    self.line.clear();
                    if self.items_written > 0 {
                        self.line.push(b',');
                    }
                    item.push_json(&mut self.line, None)?;
                    self.out.write_all(&self.line)?;
                }
                Format::Ndjson => {
                    self.line.clear();
                    item.push_json(&mut self.line, Some(&self.meta.run_id))?;
                    self.line.push(b'\n');
                    self.out.write_all(&self.line)?;
                }
            }
            self.items_written += 1;
        }
        if self.format == Format::Ndjson {
            self.out.flush()?;
        }
        if let Some(bar) = &self.progress {
            bar.inc(1);
        }
        Ok(())
    }

    fn println(&mut self, line: &str) -> io::Result<()> {
        match &self.progress {
            Some(bar) => bar.suspend(|| -> io::Result<()> {
                writeln!(self.out, "{line}")?;
                self.out.flush()
            }),
            None => writeln!(self.out, "{line}"),
        }
    }

    /// Ends the report with the summary; `extra` adds fields to the JSON summary
    /// (for example the callbacks of an interrupted wait).
    pub fn finish(
        mut self,
        summary: Summary,
        interrupted: bool,
        notes: &[String],
    ) -> io::Result<()> {
        if let Some(bar) = self.progress.take() {
            bar.finish_and_clear();
        }
        let outcome = summary.outcome();
        match self.format {
            Format::Text | Format::Ids => {
                let mut line = format!(
                    "{} {}: {} succeeded, {} failed, {} unknown, {} skipped of {} (run {})",
                    self.meta.provider,
                    self.meta.operation,
                    summary.succeeded,
                    summary.failed,
                    summary.unknown,
                    summary.skipped,
                    summary.total,
                    self.meta.run_id
                );
                if interrupted {
                    line.push_str(" - interrupted before the end");
                }
                writeln!(self.out, "{line}")?;
                for note in notes {
                    writeln!(self.out, "{note}")?;
                }
            }
            Format::Json => {
                write!(self.out, "],\"summary\":")?;
                serde_json::to_writer(&mut self.out, &summary)?;
                write!(
                    self.out,
                    ",\"outcome\":\"{outcome}\",\"interrupted\":{interrupted}"
                )?;
                if !notes.is_empty() {
                    write!(self.out, ",\"notes\":")?;
                    serde_json::to_writer(&mut self.out, notes)?;
                }
                writeln!(self.out, "}}")?;
            }
            Format::Ndjson => {
                let mut m = serde_json::to_value(&self.meta)?;
                if let Value::Object(map) = &mut m {
                    map.insert("type".into(), "summary".into());
                    map.insert("outcome".into(), outcome.into());
                    map.insert("summary".into(), serde_json::to_value(summary)?);
                    map.insert("interrupted".into(), interrupted.into());
                    if !notes.is_empty() {
                        map.insert("notes".into(), serde_json::to_value(notes)?);
                    }
                }
                serde_json::to_writer(&mut self.out, &m)?;
                writeln!(self.out)?;
            }
        }
        self.out.flush()
    }
}

/// Standard output for a report written in 64 KB blocks: on Unix a second handle
/// on the same file, because `Stdout`'s line buffering searched every block for its
/// last newline and, for NDJSON, wrote the tail separately.
fn stdout() -> Box<dyn Write + Send> {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        if let Ok(fd) = io::stdout().as_fd().try_clone_to_owned() {
            return Box::new(std::fs::File::from(fd));
        }
    }
    Box::new(io::stdout())
}

/// The short summary of a provider response shown after a succeeded item in text mode.
fn text_detail(resp: Option<&Value>) -> String {
    let Some(Value::Object(m)) = resp else {
        return String::new();
    };
    let mut parts = Vec::new();
    for key in ["id", "status", "poolingCallback", "message"] {
        if let Some(v) = m.get(key) {
            let shown = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            parts.push(format!("{key}={shown}"));
        }
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("  {}", parts.join(" "))
    }
}

/// Prints the requests of a dry run as they are built.
pub struct DryRun {
    format: Format,
    out: BufWriter<Box<dyn Write + Send>>,
    written: u64,
    /// The provider and operation, repeated on the NDJSON summary line so that a
    /// stream of lines says what it was a dry run of.
    provider: String,
    operation: String,
}

impl DryRun {
    /// Starts the dry-run report of `provider`'s `operation`.
    pub fn start(format: Format, provider: &str, operation: &str) -> io::Result<DryRun> {
        let mut out = BufWriter::with_capacity(64 * 1024, stdout());
        match format {
            Format::Json => {
                let head = serde_json::json!({"dry_run": true, "provider": provider, "operation": operation});
                let head = head.to_string();
                write!(out, "{},\"requests\":[", head.trim_end_matches('}'))?;
            }
            Format::Text | Format::Ids => {
                writeln!(out, "# dry run of {provider} {operation}: nothing is sent")?;
            }
            Format::Ndjson => {}
        }
        Ok(DryRun {
            format,
            out,
            written: 0,
            provider: provider.to_string(),
            operation: operation.to_string(),
        })
    }

    /// Prints one request that would be sent.
    pub fn request(&mut self, req: &dyn Shown) -> io::Result<()> {
        match self.format {
            Format::Json => {
                if self.written > 0 {
                    self.out.write_all(b",")?;
                }
                serde_json::to_writer(&mut self.out, &req.display_json())?;
            }
            Format::Ndjson => {
                let mut v = req.display_json();
                if let Value::Object(m) = &mut v {
                    m.insert("type".into(), "request".into());
                }
                serde_json::to_writer(&mut self.out, &v)?;
                self.out.write_all(b"\n")?;
            }
            Format::Text | Format::Ids => {
                writeln!(self.out)?;
                self.out.write_all(req.display_text().as_bytes())?;
            }
        }
        self.written += 1;
        Ok(())
    }

    /// Ends the dry-run report; `notes` are remarks such as a skipped check.
    pub fn finish(mut self, notes: &[String]) -> io::Result<()> {
        match self.format {
            Format::Json => {
                write!(self.out, "]")?;
                if !notes.is_empty() {
                    write!(self.out, ",\"notes\":")?;
                    serde_json::to_writer(&mut self.out, notes)?;
                }
                writeln!(self.out, "}}")?;
            }
            Format::Ndjson => {
                let mut v = serde_json::json!({"type": "summary", "dry_run": true,
                    "provider": self.provider, "operation": self.operation,
                    "requests": self.written});
                if let (false, Value::Object(m)) = (notes.is_empty(), &mut v) {
                    m.insert("notes".into(), serde_json::to_value(notes)?);
                }
                serde_json::to_writer(&mut self.out, &v)?;
                writeln!(self.out)?;
            }
            Format::Text | Format::Ids => {
                writeln!(self.out, "\n# {} request(s) would be sent", self.written)?;
                for note in notes {
                    writeln!(self.out, "# {note}")?;
                }
            }
        }
        self.out.flush()
    }
}

/// Prints what a read command returned: the provider's JSON as is in `json`, one
/// line per element in `ndjson`, a table (built by `table`) in `text`.
///
/// JSON is written compact on one line, as operation reports are, so that every
/// `-o json` output reads the same way (`jq` shows it pretty). An NDJSON line wraps
/// its element as `{"type":"item","data":...}`: every line has a `type`, and a
/// provider's own `type` field (DigiCert requests have one) stays untouched.
pub fn print_read(
    format: Format,
    value: &Value,
    table: impl FnOnce(&Value) -> String,
) -> io::Result<()> {
    let mut out = io::stdout().lock();
    match format {
        Format::Json => {
            serde_json::to_writer(&mut out, value)?;
            writeln!(out)?;
        }
        Format::Ndjson => {
            let elements = match value {
                Value::Array(items) => items.as_slice(),
                other => std::slice::from_ref(other),
            };
            for element in elements {
                out.write_all(br#"{"type":"item","data":"#)?;
                serde_json::to_writer(&mut out, element)?;
                out.write_all(b"}\n")?;
            }
        }
        Format::Text | Format::Ids => {
            let text = table(value);
            write!(out, "{text}")?;
            if !text.ends_with('\n') {
                writeln!(out)?;
            }
        }
    }
    out.flush()
}

/// Prints what a list command returned with `-o ids`: the field `key` of each
/// element (of the one value when it is not an array), one per line, strings bare,
/// so the output feeds `--from -`; `fallback` stands for an element without it (a
/// user's certificates carry no e-mail: the user's is printed). An element with
/// neither is left out with a warning.
pub fn print_ids(value: &Value, key: &str, fallback: Option<&str>) -> io::Result<()> {
    let elements = match value {
        Value::Array(items) => items.as_slice(),
        other => std::slice::from_ref(other),
    };
    let mut out = io::stdout().lock();
    for element in elements {
        match (element.get(key), fallback) {
            (Some(Value::String(id)), _) => writeln!(out, "{id}")?,
            (Some(id @ Value::Number(_)), _) => writeln!(out, "{id}")?,
            (_, Some(id)) => writeln!(out, "{id}")?,
            _ => tracing::warn!("an element of the list has no `{key}`; it is left out"),
        }
    }
    out.flush()
}

impl crate::report::Sink for Reporter {
    fn items(&mut self, items: &[ItemOutcome]) -> io::Result<()> {
        Reporter::items(self, items)
    }

    fn finish(
        self: Box<Self>,
        summary: Summary,
        interrupted: bool,
        notes: &[String],
    ) -> io::Result<()> {
        Reporter::finish(*self, summary, interrupted, notes)
    }
}
