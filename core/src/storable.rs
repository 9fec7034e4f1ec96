//! What every store can hold of a client's free-form JSON (`metadata`, `data`).
//!
//! SQLite keeps a payload as JSON text and takes anything serde_json parses; MongoDB
//! keeps it as BSON, which cannot hold an integer above `i64::MAX`, a NUL in a key
//! (keys are C strings), or a document nested deeper than the server allows (100
//! levels, counting the job's own). A body one store takes and the other refuses would
//! be a 202 on SQLite and a 500 on MongoDB, so the API checks every free-form value
//! here, once, before either store sees it, and both answer 422.

use serde_json::Value;

use crate::notification::ValidationError;

/// Deepest nesting of a free-form value (an object or array inside `metadata` counts
/// one level). MongoDB allows 100 for the whole job document; the job's own fields
/// (payload, metadata) take a few, and a limit far below keeps every store's
/// recursive code (codec, serde) far from its own limits.
pub const MAX_JSON_DEPTH: usize = 32;

/// Checks that `value` (named `field` in errors) is held the same by every store.
pub fn check(field: &str, value: &Value) -> Result<(), ValidationError> {
    walk(value, 1).map_err(|problem| ValidationError::new(field, problem))
}

/// Checks each value of a free-form object (whose own depth is 1).
pub fn check_map(field: &str, map: &serde_json::Map<String, Value>) -> Result<(), ValidationError> {
    walk_map(map, 1).map_err(|problem| ValidationError::new(field, problem))
}

fn walk(value: &Value, depth: usize) -> Result<(), String> {
    match value {
        Value::Number(n) => {
            if n.is_u64() && n.as_i64().is_none() {
                return Err(format!(
                    "holds {n}, an integer above {} that not every store can keep",
                    i64::MAX
                ));
            }
            Ok(())
        }
        Value::Array(items) => {
            deeper(depth)?;
            items.iter().try_for_each(|v| walk(v, depth + 1))
        }
        Value::Object(map) => {
            deeper(depth)?;
            walk_map(map, depth)
        }
        Value::Null | Value::Bool(_) | Value::String(_) => Ok(()),
    }
}

fn walk_map(map: &serde_json::Map<String, Value>, depth: usize) -> Result<(), String> {
    for (key, v) in map {
        if key.contains('\0') {
            return Err("has a key with a NUL character".to_owned());
        }
        walk(v, depth + 1)?;
    }
    Ok(())
}

fn deeper(depth: usize) -> Result<(), String> {
    if depth > MAX_JSON_DEPTH {
        Err(format!("nested deeper than {MAX_JSON_DEPTH} levels"))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn nested(levels: usize) -> Value {
        (0..levels).fold(json!(1), |inner, _| json!({ "a": inner }))
    }

    #[test]
    fn every_store_holds_what_passes() {
        let ok = json!({"a": [1, -2, i64::MAX, i64::MIN, 1.5e300, "\u{0}x", null, true]});
        assert!(check("metadata", &ok).is_ok());
        assert!(check("metadata", &nested(MAX_JSON_DEPTH)).is_ok());
    }

    #[test]
    fn integers_above_i64_nul_keys_and_deep_nesting_are_refused() {
        for bad in [
            json!({"n": u64::MAX}),
            json!({"list": [{"n": (i64::MAX as u64) + 1}]}),
            json!({"a\u{0}b": 1}),
            json!({"x": [{"\u{0}": true}]}),
            nested(MAX_JSON_DEPTH + 1),
        ] {
            let e = check("metadata", &bad).unwrap_err();
            assert_eq!(e.field, "metadata", "{bad}");
        }
    }

    #[test]
    fn a_map_counts_as_its_own_first_level() {
        let Value::Object(map) = nested(MAX_JSON_DEPTH) else {
            unreachable!()
        };
        assert!(check_map("metadata", &map).is_ok());
        let Value::Object(map) = nested(MAX_JSON_DEPTH + 1) else {
            unreachable!()
        };
        assert!(check_map("metadata", &map).is_err());
    }
}
