//! JSON written by hand on the hot paths of bulk runs: the IDs in request bodies and
//! in reports. A million-key run writes every ID twice, and serde_json inspects each
//! byte of a string for escapes one at a time; an ID almost never needs escaping, so
//! a check the compiler can vectorize comes first and the ID is copied as it is.
//! Anything that needs escaping goes through serde_json, so the output is the same.

/// Appends `s` as a JSON string.
pub fn push_str(out: &mut Vec<u8>, s: &str) {
    let needs_escape = s.bytes().fold(false, |any, b| {
        any | (b < 0x20) | (b == b'"') | (b == b'\\')
    });
    if needs_escape {
        // Writing to a Vec cannot fail, and a &str always serializes.
        let _ = serde_json::to_writer(&mut *out, s);
    } else {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    }
}

/// Appends `json`, which must be valid JSON, without the whitespace between its
/// tokens: a provider's answer may be pretty-printed, and an NDJSON line may not
/// break.
pub fn push_compact(out: &mut Vec<u8>, json: &str) {
    let space = |b: u8| matches!(b, b' ' | b'\n' | b'\r' | b'\t');
    out.reserve(json.len());
    let (mut in_string, mut escaped) = (false, false);
    for &b in json.as_bytes() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if space(b) {
            continue;
        } else if b == b'"' {
            in_string = true;
        }
        out.push(b);
    }
}

/// Appends `items` as a JSON array of strings.
pub fn push_str_array(out: &mut Vec<u8>, items: &[String]) {
    out.reserve(items.iter().map(|s| s.len() + 3).sum::<usize>() + 2);
    out.push(b'[');
    for (i, s) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_str(out, s);
    }
    out.push(b']');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_match_serde_json_with_and_without_escapes() {
        for s in [
            "plain-KEY+/=",
            "",
            "quote\"back\\slash",
            "tab\tnl\n\u{1}",
            "türkçe ışık",
            "\u{7f}",
        ] {
            let mut out = Vec::new();
            push_str(&mut out, s);
            assert_eq!(out, serde_json::to_vec(s).unwrap(), "{s:?}");
        }
    }

    #[test]
    fn arrays_match_serde_json() {
        let items: Vec<String> = vec!["a".into(), "b\"c".into(), "d".into()];
        let mut out = Vec::new();
        push_str_array(&mut out, &items);
        assert_eq!(out, serde_json::to_vec(&items).unwrap());
        let mut out = Vec::new();
        push_str_array(&mut out, &[]);
        assert_eq!(out, b"[]");
    }

    #[test]
    fn compact_json_matches_serde_json_for_the_same_text() {
        let pretty = "{\n  \"id\" : 1,\r\n\t\"comments\": \"Revoked via API! \\\" {x} \\\\\",\n  \"list\": [ 1 , true, null, \"a b\" ],\n  \"nested\": { \"k\": \" \\n \" }\n}";
        let mut out = Vec::new();
        push_compact(&mut out, pretty);
        let value: serde_json::Value = serde_json::from_str(pretty).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), value.to_string());
    }
}
