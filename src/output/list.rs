//! A list printed as its pages arrive (`digicert orders list`, `requests list`):
//! `json` one array written element by element, `ndjson` a `{"type":"item","data":…}`
//! line per object then `{"type":"summary","total":N}`, `ids` one ID per line, `text`
//! a table whose column widths are set by the first page. Each object is passed on
//! as the provider wrote it (compacted when it spans lines), never gathered: a list
//! of a million objects holds a page or two. The shapes are in `schemas/list.json`
//! and `schemas/list-line.json`.

use std::collections::HashMap;
use std::io::{self, BufWriter, Write};

use serde_json::Value;
use serde_json::value::RawValue;

use super::Format;
use super::table::cell;

/// What a list shows of each object: the table's columns (header, dotted path into
/// the object) and the field `-o ids` prints.
#[derive(Debug, Clone, Copy)]
pub struct Columns {
    /// Header and path (`certificate.common_name`) of each text column.
    pub table: &'static [(&'static str, &'static str)],
    /// The object's ID field.
    pub id: &'static str,
}

/// Two spaces between text columns.
const GAP: &str = "  ";

/// A list being printed.
pub struct List {
    format: Format,
    out: BufWriter<Box<dyn Write + Send>>,
    columns: Columns,
    written: u64,
    /// Text: each column's width, from the header and the first page.
    widths: Option<Vec<usize>>,
}

impl List {
    /// Starts the list (`json`: its opening bracket).
    pub fn start(format: Format, columns: Columns) -> io::Result<List> {
        let mut out = BufWriter::with_capacity(64 * 1024, super::stdout());
        if format == Format::Json {
            out.write_all(b"[")?;
        }
        Ok(List {
            format,
            out,
            columns,
            written: 0,
            widths: None,
        })
    }

    /// How many objects were printed.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Prints one page of objects, each the JSON text of one value as the provider
    /// sent it.
    pub fn page(&mut self, items: &[&str]) -> io::Result<()> {
        match self.format {
            Format::Json => {
                for item in items {
                    if self.written > 0 {
                        self.out.write_all(b",")?;
                    }
                    write_compact(&mut self.out, item)?;
                    self.written += 1;
                }
            }
            Format::Ndjson => {
                for item in items {
                    self.out.write_all(br#"{"type":"item","data":"#)?;
                    write_compact(&mut self.out, item)?;
                    self.out.write_all(b"}\n")?;
                    self.written += 1;
                }
            }
            Format::Ids => {
                for item in items {
                    match id_of(item, self.columns.id) {
                        Some(id) => writeln!(self.out, "{id}")?,
                        None => tracing::warn!(
                            "a listed object has no `{}`; it is left out",
                            self.columns.id
                        ),
                    }
                    self.written += 1;
                }
            }
            Format::Text => self.rows(items)?,
        }
        // Each page reaches a reader (a pipe into `--from -`) as soon as it is whole.
        self.out.flush()
    }

    /// Text: the page's rows, the header first with the first page.
    fn rows(&mut self, items: &[&str]) -> io::Result<()> {
        let rows: Vec<Vec<String>> = items
            .iter()
            .map(|item| {
                let value: Value = serde_json::from_str(item).unwrap_or(Value::Null);
                self.columns
                    .table
                    .iter()
                    .map(|(_, path)| cell(at(&value, path)))
                    .collect()
            })
            .collect();
        if self.widths.is_none() && !rows.is_empty() {
            let headers: Vec<String> = self
                .columns
                .table
                .iter()
                .map(|(h, _)| h.to_uppercase())
                .collect();
            let widths = (0..headers.len())
                .map(|c| {
                    rows.iter()
                        .map(|r| r[c].chars().count())
                        .chain(std::iter::once(headers[c].chars().count()))
                        .max()
                        .unwrap_or(0)
                })
                .collect();
            self.widths = Some(widths);
            self.line(&headers)?;
        }
        for row in &rows {
            self.line(row)?;
        }
        self.written += rows.len() as u64;
        Ok(())
    }

    fn line(&mut self, cells: &[String]) -> io::Result<()> {
        let widths = self.widths.as_deref().unwrap_or(&[]);
        let mut line = String::new();
        for (n, text) in cells.iter().enumerate() {
            if n > 0 {
                line.push_str(GAP);
            }
            line.push_str(text);
            if n + 1 < cells.len() {
                let width = widths.get(n).copied().unwrap_or(0);
                let pad = width.saturating_sub(text.chars().count());
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        writeln!(self.out, "{}", line.trim_end())
    }

    /// Ends a complete list: `json` closes the array, `ndjson` writes the summary line
    /// with `total`, the objects printed; `text` says when there were none.
    pub fn finish(mut self) -> io::Result<()> {
        match self.format {
            Format::Json => self.out.write_all(b"]\n")?,
            Format::Ndjson => writeln!(
                self.out,
                "{{\"type\":\"summary\",\"total\":{}}}",
                self.written
            )?,
            Format::Text if self.written == 0 => writeln!(self.out, "(none)")?,
            Format::Text | Format::Ids => {}
        }
        self.out.flush()
    }

    /// Ends a list cut short by a failure: `json` still closes its array, so stdout
    /// holds one document; `ndjson` writes no summary, whose absence says the list
    /// is incomplete.
    pub fn abort(mut self) -> io::Result<()> {
        if self.format == Format::Json {
            self.out.write_all(b"]\n")?;
        }
        self.out.flush()
    }
}

/// Writes a JSON value's text on one line: as is, unless the provider spread it
/// over several (pretty-printed), which would break a line-per-object format.
fn write_compact(out: &mut impl Write, text: &str) -> io::Result<()> {
    if memchr::memchr2(b'\n', b'\r', text.as_bytes()).is_none() {
        return out.write_all(text.as_bytes());
    }
    let value: Value = serde_json::from_str(text).map_err(io::Error::other)?;
    serde_json::to_writer(out, &value).map_err(io::Error::other)
}

/// The value at a dotted path (`certificate.common_name`).
fn at<'v>(value: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.').try_fold(value, |v, key| v.get(key))
}

/// The ID field `key` of an object's JSON text as `-o ids` prints it: a string
/// bare, a number as written.
fn id_of(item: &str, key: &str) -> Option<String> {
    let fields: HashMap<&str, &RawValue> = match serde_json::from_str(item) {
        Ok(fields) => fields,
        // A key with an escape cannot be borrowed: read the object whole.
        Err(_) => {
            let value: Value = serde_json::from_str(item).ok()?;
            return match value.get(key)? {
                Value::String(s) => Some(s.clone()),
                n @ Value::Number(_) => Some(n.to_string()),
                _ => None,
            };
        }
    };
    let raw = fields.get(key)?.get();
    match raw.as_bytes().first()? {
        b'"' => serde_json::from_str::<String>(raw).ok(),
        b'-' | b'0'..=b'9' => Some(raw.to_owned()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_printed_bare() {
        assert_eq!(
            id_of(r#"{"id":10001,"x":[1]}"#, "id").as_deref(),
            Some("10001")
        );
        assert_eq!(
            id_of(r#"{"email":"a@b.c"}"#, "email").as_deref(),
            Some("a@b.c")
        );
        assert_eq!(
            id_of(r#"{"k\u0065y":1,"id":"x\"y"}"#, "id").as_deref(),
            Some("x\"y")
        );
        assert_eq!(id_of(r#"{"id":null}"#, "id"), None);
        assert_eq!(id_of(r#"{"other":1}"#, "id"), None);
    }

    #[test]
    fn objects_over_several_lines_are_compacted() {
        let mut out = Vec::new();
        write_compact(&mut out, "{\n  \"id\": 1\n}").unwrap();
        assert_eq!(out, br#"{"id":1}"#);
        let mut out = Vec::new();
        write_compact(&mut out, r#"{"id": 1}"#).unwrap();
        assert_eq!(out, br#"{"id": 1}"#);
    }

    #[test]
    fn paths_reach_into_objects() {
        let v = serde_json::json!({"certificate": {"common_name": "a"}, "organization": []});
        assert_eq!(
            at(&v, "certificate.common_name"),
            Some(&serde_json::json!("a"))
        );
        assert_eq!(at(&v, "organization.name"), None);
    }
}
