//! Aligned tables for text output of read commands.

use comfy_table::{ContentArrangement, Table, presets::NOTHING};
use serde_json::Value;

/// A table of the given columns (header, JSON key or dotted path such as
/// `certificate.common_name`) over an array of objects, or over one object shown
/// as a one-row table.
pub fn of_objects(value: &Value, columns: &[(&str, &str)]) -> String {
    let rows: Vec<&Value> = match value {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    if rows.is_empty() {
        return "(none)\n".into();
    }
    let mut table = Table::new();
    table
        .load_style(NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled);
    table.set_header(columns.iter().map(|(h, _)| h.to_uppercase()));
    for row in rows {
        table.add_row(
            columns
                .iter()
                .map(|(_, path)| cell(path.split('.').try_fold(row, |v, key| v.get(key)))),
        );
    }
    let mut text = String::new();
    for line in table.to_string().lines() {
        text.push_str(line.trim());
        text.push('\n');
    }
    text
}

/// A JSON value as a table cell: strings bare, absent values empty.
pub fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_columns() {
        let v = serde_json::json!([{"id": 1, "name": "a"}, {"id": 22, "name": null}]);
        let text = of_objects(&v, &[("id", "id"), ("name", "name")]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0].split_whitespace().collect::<Vec<_>>(),
            ["ID", "NAME"]
        );
        assert!(lines[1].starts_with('1'));
        assert!(lines[2].starts_with("22"));
        assert_eq!(
            of_objects(&serde_json::json!([]), &[("id", "id")]),
            "(none)\n"
        );
    }
}
