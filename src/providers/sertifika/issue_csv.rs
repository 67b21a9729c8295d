//! The issuing CSV of `sertifika certificates issue`: read strictly, checked, and
//! turned into `certificateItem` objects.
//!
//! The file is read as RFC 4180 says, with no leniency: every row has as many fields
//! as the header, a quote opens and closes a whole field (`""` inside it), and the
//! text is UTF-8. A file that breaks one of these is refused with one sentence that
//! names the line, before the template is fetched or anything is sent: a lenient
//! reader would shift fields into the wrong columns and issue certificates with the
//! wrong names. The header must name the required columns and known ones only.
//! Mistakes in the values (an empty name, an hour that is not a number) and against
//! the template (a property it lacks or has) are collected and listed together, so
//! the file can be fixed in one go. This module does no I/O: the caller reads the file.

use std::collections::BTreeSet;

use serde_json::{Map, Number, Value, json};

use super::{TemplateId, check_email};

/// One row of an issuing CSV, checked, as the API wants it.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The recipient's e-mail (trimmed): the item ID in the report.
    pub email: String,
    /// The `certificateItem` object for this row.
    pub item: Value,
}

/// An issuing CSV of the right form: its rows, the mistakes in their values, and
/// the template properties its `prop:` columns fill. [`Sheet::rows`] adds the
/// mistakes against the template and lists them all together.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    /// The rows without mistakes, in file order, blank lines left out.
    rows: Vec<Row>,
    /// Every mistake in the values (an empty name, an hour that is not a number).
    mistakes: Vec<String>,
    /// The keys of the `prop:KEY` columns.
    props: BTreeSet<String>,
}

/// What the fixed columns of a CSV are called.
const REQUIRED: [&str; 3] = ["name", "surname", "email"];
const OPTIONAL: [&str; 4] = ["hour", "point", "educator", "tags"];

/// Where each column of the CSV goes.
enum Column {
    Fixed(&'static str),
    Prop(String),
}

/// One record of the file: the line it starts on and its fields, untrimmed.
#[derive(Debug, PartialEq)]
struct Record {
    line: u64,
    fields: Vec<String>,
}

/// Splits the file into records, refusing what RFC 4180 does not allow: invalid
/// UTF-8, a quote inside an unquoted field, text after a closing quote, a quote
/// never closed. Spaces around a quoted field are allowed (fields are trimmed).
fn records(data: &[u8]) -> Result<Vec<Record>, String> {
    let text = match std::str::from_utf8(data) {
        Ok(text) => text,
        Err(e) => {
            let line = line_at(&data[..e.valid_up_to()]);
            return Err(format!(
                "line {line} is not valid UTF-8 text: save the file as UTF-8"
            ));
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line: u64 = 1;
    while chars.peek().is_some() {
        let start = line;
        let mut fields = Vec::new();
        loop {
            // One field.
            let mut field = String::new();
            while let Some(c) = chars.next_if(|c| *c == ' ' || *c == '\t') {
                field.push(c);
            }
            if chars.next_if_eq(&'"').is_some() {
                let opened = line;
                field.clear();
                loop {
                    match chars.next() {
                        None => {
                            return Err(format!(
                                "line {opened}: a quoted field is never closed (a quote is missing)"
                            ));
                        }
                        Some('"') if chars.next_if_eq(&'"').is_some() => field.push('"'),
                        Some('"') => break,
                        Some(c) => {
                            if c == '\n' {
                                line += 1;
                            }
                            field.push(c);
                        }
                    }
                }
                while chars.next_if(|c| *c == ' ' || *c == '\t').is_some() {}
                if !matches!(chars.peek(), None | Some(',' | '\n' | '\r')) {
                    return Err(format!(
                        "line {line}: text follows the closing quote of field {} (a quote inside a quoted field is written twice: \"\")",
                        fields.len() + 1
                    ));
                }
            } else {
                while let Some(c) = chars.next_if(|c| !matches!(c, ',' | '\n' | '\r')) {
                    if c == '"' {
                        return Err(format!(
                            "line {line}: field {} has a quote but does not start with one (quote the whole field and write the quote twice: \"a \"\"b\"\"\")",
                            fields.len() + 1
                        ));
                    }
                    field.push(c);
                }
            }
            fields.push(field);
            // The field stopped at `,`, a line break or the end of the text.
            let end = chars.next();
            if end == Some(',') {
                continue;
            }
            if end == Some('\r') && chars.next_if_eq(&'\n').is_none() {
                return Err(format!(
                    "line {line}: a carriage return outside quotes that does not end the line"
                ));
            }
            line += 1;
            break;
        }
        records.push(Record {
            line: start,
            fields,
        });
    }
    Ok(records)
}

/// The line (from 1) that the text after `before` starts on.
fn line_at(before: &[u8]) -> u64 {
    1 + before.iter().filter(|b| **b == b'\n').count() as u64
}

/// Whether a record is a blank line (or only separators): skipped, not a row.
fn is_blank(record: &Record) -> bool {
    record.fields.iter().all(|f| f.trim().is_empty())
}

/// Reads an issuing CSV and checks its form: RFC 4180, a header naming known
/// columns and the required ones, as many fields in every row as in the header, at
/// least one row. A file of the wrong form is refused here, each mistake naming its
/// line, before the template is fetched; the values' mistakes are kept in the
/// [`Sheet`] to be listed with the template's.
pub fn parse(data: &[u8], template: &TemplateId) -> Result<Sheet, Vec<String>> {
    let records = records(data).map_err(|e| vec![e])?;
    let mut records = records.into_iter().filter(|r| !is_blank(r));
    let Some(header) = records.next() else {
        return Err(vec![
            "the file is empty: it needs a header row (name,surname,email,...) and at least one row".into(),
        ]);
    };
    let (columns, mut form) = columns(&header);
    let width = header.fields.len();
    let mut rows = Vec::new();
    let mut mistakes = Vec::new();
    let mut any = false;
    for record in records {
        any = true;
        if record.fields.len() != width {
            form.push(format!(
                "line {} has {} field(s) where the header (line {}) has {width}",
                record.line,
                record.fields.len(),
                header.line
            ));
            continue;
        }
        match row(&record, &columns, template) {
            Ok(r) => rows.push(r),
            Err(mut m) => mistakes.append(&mut m),
        }
    }
    if !any {
        form.push(format!(
            "the file has no rows after its header (line {})",
            header.line
        ));
    }
    if !form.is_empty() {
        return Err(form);
    }
    let props = columns
        .into_iter()
        .filter_map(|c| match c {
            Column::Prop(k) => Some(k),
            Column::Fixed(_) => None,
        })
        .collect();
    Ok(Sheet {
        rows,
        mistakes,
        props,
    })
}

/// The columns the header names, and every mistake in it (unknown or repeated
/// columns, a required one missing).
fn columns(header: &Record) -> (Vec<Column>, Vec<String>) {
    let line = header.line;
    let mut mistakes = Vec::new();
    let mut columns = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, raw) in header.fields.iter().enumerate() {
        let name = raw.trim();
        let lower = name.to_lowercase();
        let prop = name
            .get(..5)
            .filter(|p| p.eq_ignore_ascii_case("prop:"))
            .and_then(|_| name.get(5..))
            .map(str::trim);
        let column = if let Some(key) = prop {
            if key.is_empty() {
                mistakes.push(format!(
                    "line {line}, column {}: `{name}` names no property",
                    i + 1
                ));
            }
            Column::Prop(key.to_string())
        } else if let Some(fixed) = REQUIRED.iter().chain(&OPTIONAL).find(|c| **c == lower) {
            Column::Fixed(fixed)
        } else {
            mistakes.push(format!(
                "line {line}, column {}: `{name}` is not a known column (name, surname, email, hour, point, educator, tags, prop:KEY)",
                i + 1
            ));
            Column::Fixed("")
        };
        let label = match &column {
            Column::Fixed(f) => f.to_string(),
            Column::Prop(k) => format!("prop:{k}"),
        };
        if !label.is_empty() && !seen.insert(label.clone()) {
            mistakes.push(format!(
                "line {line}, column {}: `{label}` appears twice",
                i + 1
            ));
        }
        columns.push(column);
    }
    for required in REQUIRED {
        if !seen.contains(required) {
            mistakes.push(format!(
                "line {line}: the header has no `{required}` column (name, surname and email are required)"
            ));
        }
    }
    (columns, mistakes)
}

impl Sheet {
    /// The rows to post, or every mistake: those in the values, and, when the
    /// template's property keys are given, every `prop:` column that names none of
    /// them and every one of them without a column.
    pub fn rows(
        self,
        template: &TemplateId,
        keys: Option<&[String]>,
    ) -> Result<Vec<Row>, Vec<String>> {
        let mut mistakes = Vec::new();
        if let Some(keys) = keys {
            for key in &self.props {
                if !keys.iter().any(|k| k == key) {
                    mistakes.push(format!(
                        "column `prop:{key}`: template {template} has no property `{key}` (it has: {})",
                        if keys.is_empty() {
                            "none".to_string()
                        } else {
                            keys.join(", ")
                        }
                    ));
                }
            }
            for key in keys {
                if !self.props.contains(key) {
                    mistakes.push(format!(
                        "column `prop:{key}` is missing: template {template} has that property"
                    ));
                }
            }
        }
        mistakes.extend(self.mistakes);
        if mistakes.is_empty() {
            Ok(self.rows)
        } else {
            Err(mistakes)
        }
    }
}

/// One record turned into a `certificateItem`, or every mistake in it.
fn row(record: &Record, columns: &[Column], template: &TemplateId) -> Result<Row, Vec<String>> {
    let line = record.line;
    let mut mistakes = Vec::new();
    let position = |name: &str| {
        columns
            .iter()
            .position(|c| matches!(c, Column::Fixed(f) if *f == name))
    };
    let cell = |name: &str| -> &str {
        position(name)
            .and_then(|i| record.fields.get(i))
            .map_or("", |f| f.trim())
    };
    let mut item = Map::new();
    item.insert("id".into(), Value::String(template.to_string()));
    for (field, column) in [("Name", "name"), ("Surname", "surname"), ("Email", "email")] {
        let value = cell(column);
        if value.is_empty() {
            // A missing column is reported once, with the header.
            if position(column).is_some() {
                mistakes.push(format!("line {line}: `{column}` is empty"));
            }
        } else if column == "email"
            && let Err(m) = check_email(value)
        {
            mistakes.push(format!("line {line}: `email` {m}"));
        }
        item.insert(field.into(), Value::String(value.to_string()));
    }
    for (field, column) in [("Hour", "hour"), ("Point", "point")] {
        let value = cell(column);
        if value.is_empty() {
            continue;
        }
        match number(value) {
            Some(n) => {
                item.insert(field.into(), Value::Number(n));
            }
            None => mistakes.push(format!(
                "line {line}: `{column}` is not a number: `{value}` (use a dot for decimals)"
            )),
        }
    }
    let educator = cell("educator");
    if !educator.is_empty() {
        item.insert("Educator".into(), Value::String(educator.to_string()));
    }
    let properties: Vec<Value> = columns
        .iter()
        .zip(&record.fields)
        .filter_map(|(c, value)| match c {
            Column::Prop(key) => Some(json!({"key": key, "value": value.trim()})),
            Column::Fixed(_) => None,
        })
        .collect();
    item.insert("Properties".into(), Value::Array(properties));
    let tags: Vec<Value> = cell("tags")
        .split(';')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| json!({"value": t}))
        .collect();
    if !tags.is_empty() {
        item.insert("metaTag".into(), Value::Array(tags));
    }
    if mistakes.is_empty() {
        Ok(Row {
            email: cell("email").to_string(),
            item: Value::Object(item),
        })
    } else {
        Err(mistakes)
    }
}

/// A finite decimal number, kept an integer when written as one (`90`, not `90.0`).
fn number(text: &str) -> Option<Number> {
    if let Ok(i) = text.parse::<i64>() {
        return Some(Number::from(i));
    }
    if !text
        .bytes()
        .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b))
    {
        return None;
    }
    text.parse::<f64>().ok().and_then(Number::from_f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TID: &str = "64c9f080-2314-4f02-a43c-923d83e8e444";

    fn tid() -> TemplateId {
        TemplateId::parse(TID).unwrap()
    }

    /// The single mistake of a refused file.
    fn refused(data: &[u8]) -> String {
        let mistakes = parse(data, &tid()).unwrap_err();
        assert_eq!(mistakes.len(), 1, "{mistakes:?}");
        mistakes.into_iter().next().unwrap()
    }

    #[test]
    fn csv_rows_become_certificate_items() {
        let csv = "\u{feff}name,surname,email,hour,point,educator,prop:k1,tags\r\nAyşe,Yılmaz, a@b.c ,1.5,90,Öğretmen,v1,x; y\r\n\r\nB,C,b@c.d,,,,v2,\r\n";
        let sheet = parse(csv.as_bytes(), &tid()).unwrap();
        let rows = sheet.rows(&tid(), Some(&["k1".to_string()])).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].email, "a@b.c");
        assert_eq!(
            rows[0].item,
            json!({"id": TID, "Name": "Ayşe", "Surname": "Yılmaz", "Email": "a@b.c",
                   "Hour": 1.5, "Point": 90, "Educator": "Öğretmen",
                   "Properties": [{"key": "k1", "value": "v1"}],
                   "metaTag": [{"value": "x"}, {"value": "y"}]})
        );
        assert_eq!(
            rows[1].item,
            json!({"id": TID, "Name": "B", "Surname": "C", "Email": "b@c.d",
                   "Properties": [{"key": "k1", "value": "v2"}]})
        );
    }

    #[test]
    fn quoted_fields_keep_commas_quotes_and_line_breaks() {
        let csv = "name,surname,email,educator\n\"Doe, Jr.\" , \"O\"\"Neil\",a@b.c,\"Prof.\nDr.\"\nB,C,b@c.d,\"\"\n";
        let rows = parse(csv.as_bytes(), &tid())
            .unwrap()
            .rows(&tid(), None)
            .unwrap();
        assert_eq!(rows[0].item["Name"], "Doe, Jr.");
        assert_eq!(rows[0].item["Surname"], "O\"Neil");
        assert_eq!(rows[0].item["Educator"], "Prof.\nDr.");
        assert_eq!(rows[1].email, "b@c.d");
    }

    #[test]
    fn ragged_rows_are_refused_naming_their_lines() {
        let more = refused(b"name,surname,email,hour\nAda,L,ada@example.com,v,EXTRA,MORE\n");
        assert_eq!(
            more,
            "line 2 has 6 field(s) where the header (line 1) has 4"
        );
        let fewer = refused(b"name,surname,email,hour\nAda,L,ada@example.com,1\nBo,K\n");
        assert!(fewer.starts_with("line 3 has 2 field(s)"), "{fewer}");
        // A quoted line break does not shift the line numbers of later rows.
        let later = refused(b"name,surname,email\n\"A\nB\",L,a@b.c\nC,D\n");
        assert!(later.starts_with("line 4 has 2 field(s)"), "{later}");
    }

    #[test]
    fn bad_quoting_is_refused_naming_the_line() {
        let cases: [(&[u8], &str); 4] = [
            (
                b"name,surname,email\nA,B\"C,a@b.c\n",
                "line 2: field 2 has a quote",
            ),
            (
                b"name,surname,email\nA,\"B\"C,a@b.c\n",
                "line 2: text follows the closing quote of field 2",
            ),
            (
                b"name,surname,email\nA,B,a@b.c\n\"C,D,c@d.e\nE,F,e@f.g\n",
                "line 3: a quoted field is never closed",
            ),
            (
                b"name,surname,email\nA,B\rC,a@b.c\n",
                "line 2: a carriage return",
            ),
        ];
        for (data, expected) in cases {
            let message = refused(data);
            assert!(message.starts_with(expected), "{expected}: {message}");
        }
    }

    #[test]
    fn invalid_utf8_is_refused_naming_the_line() {
        let message = refused(b"name,surname,email\nA,B,a@b.c\nA\xff,B,c@d.e\n");
        assert_eq!(
            message,
            "line 3 is not valid UTF-8 text: save the file as UTF-8"
        );
        // Latin-1 of a Turkish export, on the header.
        let header = refused(b"name,soyad\xfd,email\n");
        assert!(header.starts_with("line 1 "), "{header}");
    }

    #[test]
    fn an_empty_file_or_a_header_alone_is_refused() {
        for empty in [&b""[..], b"\n\n", b"\xef\xbb\xbf", b" \r\n"] {
            assert!(refused(empty).starts_with("the file is empty"), "{empty:?}");
        }
        assert_eq!(
            refused(b"name,surname,email\n"),
            "the file has no rows after its header (line 1)"
        );
    }

    #[test]
    fn missing_required_columns_are_named_once() {
        for column in ["name", "surname", "email"] {
            let (header, values): (Vec<&str>, Vec<&str>) =
                [("name", "A"), ("surname", "B"), ("email", "a@b.c")]
                    .into_iter()
                    .filter(|(c, _)| *c != column)
                    .unzip();
            let row = values.join(",");
            let data = format!("{}\n{row}\n{row}\n", header.join(","));
            let message = refused(data.as_bytes());
            assert_eq!(
                message,
                format!(
                    "line 1: the header has no `{column}` column (name, surname and email are required)"
                )
            );
        }
    }

    #[test]
    fn every_mistake_in_the_values_and_against_the_template_is_listed() {
        let csv =
            "name,surname,email,hour,prop:k9\n,X,a@b.c,1,v\nA,B,not-mail,abc,v\nA,B,c@d.e,NaN,v\n";
        let sheet = parse(csv.as_bytes(), &tid()).unwrap();
        let mistakes = sheet.rows(&tid(), Some(&["k1".to_string()])).unwrap_err();
        let text = mistakes.join("\n");
        for needle in [
            "prop:k9",
            "`prop:k1` is missing",
            "line 2: `name` is empty",
            "line 3: `email`",
            "line 3: `hour`",
            "line 4: `hour`",
        ] {
            assert!(text.contains(needle), "{needle} in\n{text}");
        }
        let shape = parse("name,email,hours\nA,a@b.c,1\n".as_bytes(), &tid()).unwrap_err();
        assert_eq!(shape.len(), 2, "{shape:?}");
    }

    #[test]
    fn without_the_template_only_the_values_are_checked() {
        let csv = "name,surname,email,prop:k9\nA,B,a@b.c,v\n";
        let rows = parse(csv.as_bytes(), &tid()).unwrap().rows(&tid(), None);
        assert_eq!(rows.map(|r| r.len()), Ok(1));
    }
}
