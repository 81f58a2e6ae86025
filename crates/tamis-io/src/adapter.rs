//! datatrove's default JSONL adapter: a parsed JSON object -> [`Document`].

use serde_json::{Map, Value};
use tamis_core::{Document, Metadata};

use crate::record::reason;

/// Which keys the adapter reads; borrowed from `ReadOptions` so no per-line clone is needed.
pub(crate) struct Keys<'a> {
    pub text: &'a str,
    pub id: &'a str,
    /// `Some(path)` to `setdefault("file_path", path)` like datatrove's disk readers.
    pub file_path: Option<&'a str>,
}

/// A line that parsed but cannot become a document: (reason, message).
pub(crate) type AdaptError = (&'static str, String);

/// Parses one JSONL line (already known to be UTF-8, not blank) and applies datatrove's
/// `_default_adapter`:
///
/// * `text` <- `data.pop(text_key)`; missing is `missing_text`, a non-string (including
///   `null`) is `text_not_string`. An empty string is kept: dropping empty documents is the
///   pipeline's decision (datatrove's reader drops them silently; we keep them visible).
/// * `id` <- `data.pop(id_key, f"{path}/{index}")` with `index` the 0-based line index (blank
///   lines count, as in Python's `enumerate(f)`). A missing or `null` id gets the default; a
///   string is used as is; numbers and booleans are stringified as JSON writes them (`12`,
///   `1.5`, `true`); arrays and objects become their compact JSON text.
/// * `metadata` <- `data.pop("metadata", {}) | data`: the `metadata` object's keys first, then
///   every remaining top-level key in input order; a top-level key that repeats a metadata key
///   overwrites its value but keeps its position (Python dict `|` semantics). A string
///   `metadata` that parses as a JSON object is used as that object (some exporters stringify
///   it); any other non-object `metadata` (string, number, array) is kept under the key
///   `"metadata"` rather than lost, and `null` counts as absent.
/// * datatrove also pops `media` into `Document.media`; tamis documents have no media field,
///   so `media` stays in metadata and survives a round trip.
pub(crate) fn parse_document(
    line: &str,
    keys: &Keys<'_>,
    default_id: impl FnOnce() -> String,
) -> Result<Document, AdaptError> {
    let mut data = match serde_json::from_str::<Value>(line) {
        Ok(Value::Object(m)) => m,
        Ok(other) => {
            return Err((
                reason::NOT_AN_OBJECT,
                format!("expected a JSON object, found {}", type_name(&other)),
            ))
        }
        Err(e) => return Err((reason::INVALID_JSON, e.to_string())),
    };

    // `shift_remove` keeps the remaining keys in input order; plain `remove` would swap.
    let text = match data.shift_remove(keys.text) {
        Some(Value::String(s)) => s,
        Some(other) => {
            return Err((
                reason::TEXT_NOT_STRING,
                format!(
                    "`{}` is {}, expected a string",
                    keys.text,
                    type_name(&other)
                ),
            ))
        }
        None => {
            let mut available: Vec<&str> = data.keys().map(String::as_str).take(20).collect();
            if data.len() > available.len() {
                available.push("...");
            }
            return Err((
                reason::MISSING_TEXT,
                format!(
                    "no `{}` key; available keys: [{}]",
                    keys.text,
                    available.join(", ")
                ),
            ));
        }
    };

    let id = match data.shift_remove(keys.id) {
        None | Some(Value::Null) => default_id(),
        Some(Value::String(s)) => s,
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(v @ (Value::Array(_) | Value::Object(_))) => v.to_string(),
    };

    let mut metadata: Metadata = if keys.text == "metadata" || keys.id == "metadata" {
        Map::new()
    } else {
        match data.shift_remove("metadata") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(m)) => m,
            Some(Value::String(s)) => match serde_json::from_str::<Value>(&s) {
                Ok(Value::Object(m)) => m,
                _ => single("metadata", Value::String(s)),
            },
            Some(other) => single("metadata", other),
        }
    };
    if metadata.is_empty() {
        metadata = data;
    } else {
        for (k, v) in data {
            metadata.insert(k, v);
        }
    }
    if let Some(path) = keys.file_path {
        if !metadata.contains_key("file_path") {
            metadata.insert("file_path".to_owned(), Value::String(path.to_owned()));
        }
    }
    Ok(Document {
        id,
        text,
        metadata,
        edit_base: Default::default(),
    })
}

fn single(key: &str, v: Value) -> Metadata {
    let mut m = Map::new();
    m.insert(key.to_owned(), v);
    m
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const KEYS: Keys<'static> = Keys {
        text: "text",
        id: "id",
        file_path: None,
    };

    fn parse(line: &str) -> Result<Document, AdaptError> {
        parse_document(line, &KEYS, || "f.jsonl/7".to_owned())
    }

    fn meta(v: Value) -> Metadata {
        match v {
            Value::Object(m) => m,
            _ => panic!("not an object"),
        }
    }

    #[test]
    fn text_id_metadata_and_rest() {
        let d = parse(r#"{"url":"u","text":"hi","id":"x","metadata":{"a":1,"url":"old"},"b":2}"#)
            .expect("doc");
        assert_eq!((d.id.as_str(), d.text.as_str()), ("x", "hi"));
        // metadata keys first; a repeated top-level key overwrites in place; then the rest.
        let keys: Vec<&str> = d.metadata.keys().map(String::as_str).collect();
        assert_eq!(keys, ["a", "url", "b"]);
        assert_eq!(d.metadata, meta(json!({"a": 1, "url": "u", "b": 2})));
    }

    #[test]
    fn ids() {
        assert_eq!(parse(r#"{"text":"t"}"#).expect("doc").id, "f.jsonl/7");
        assert_eq!(
            parse(r#"{"text":"t","id":null}"#).expect("doc").id,
            "f.jsonl/7"
        );
        assert_eq!(parse(r#"{"text":"t","id":12}"#).expect("doc").id, "12");
        assert_eq!(parse(r#"{"text":"t","id":-1.5}"#).expect("doc").id, "-1.5");
        assert_eq!(parse(r#"{"text":"t","id":true}"#).expect("doc").id, "true");
        assert_eq!(
            parse(r#"{"text":"t","id":[1,"a"]}"#).expect("doc").id,
            r#"[1,"a"]"#
        );
    }

    #[test]
    fn metadata_variants() {
        let d = parse(r#"{"text":"t","metadata":"{\"k\":1}","z":0}"#).expect("doc");
        assert_eq!(d.metadata, meta(json!({"k": 1, "z": 0})));
        let d = parse(r#"{"text":"t","metadata":"plain"}"#).expect("doc");
        assert_eq!(d.metadata, meta(json!({"metadata": "plain"})));
        let d = parse(r#"{"text":"t","metadata":[1]}"#).expect("doc");
        assert_eq!(d.metadata, meta(json!({"metadata": [1]})));
        let d = parse(r#"{"text":"t","metadata":null,"q":1}"#).expect("doc");
        assert_eq!(d.metadata, meta(json!({"q": 1})));
        let d = parse(r#"{"text":"t","media":[]}"#).expect("doc");
        assert_eq!(d.metadata, meta(json!({"media": []})));
    }

    #[test]
    fn errors() {
        assert_eq!(
            parse(r#"{"id":"x"}"#).map_err(|e| e.0),
            Err(reason::MISSING_TEXT)
        );
        assert_eq!(
            parse(r#"{"text":3}"#).map_err(|e| e.0),
            Err(reason::TEXT_NOT_STRING)
        );
        assert_eq!(
            parse(r#"{"text":null}"#).map_err(|e| e.0),
            Err(reason::TEXT_NOT_STRING)
        );
        assert_eq!(
            parse(r#"{"text":"a""#).map_err(|e| e.0),
            Err(reason::INVALID_JSON)
        );
        assert_eq!(parse("[1,2]").map_err(|e| e.0), Err(reason::NOT_AN_OBJECT));
        assert_eq!(parse(r#"{"text":""}"#).map(|d| d.text), Ok(String::new()));
    }

    #[test]
    fn custom_keys_and_file_path() {
        let keys = Keys {
            text: "content",
            id: "doc_id",
            file_path: Some("in/a.jsonl"),
        };
        let d = parse_document(
            r#"{"doc_id":5,"content":"c","text":"other"}"#,
            &keys,
            || unreachable!(),
        )
        .expect("doc");
        assert_eq!((d.id.as_str(), d.text.as_str()), ("5", "c"));
        assert_eq!(
            d.metadata,
            meta(json!({"text": "other", "file_path": "in/a.jsonl"}))
        );
    }
}
