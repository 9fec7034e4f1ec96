//! Reading request bodies and query strings, with the API's errors.
//!
//! The body limit is enforced while streaming: a declared `Content-Length` over the
//! limit is refused before a byte is read, and a chunked body is cut off as soon as
//! it passes the limit. Nothing larger than the limit is ever buffered.

use axum::body::Body;
use axum::extract::{FromRequest, Request};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::HeaderMap;
use serde::de::DeserializeOwned;
use serde_json::error::Category;

use crate::error::ApiError;
use crate::AppState;

/// A JSON body of type `T`: 415 unless `application/json`, 413 over the limit, 400
/// when malformed or of the wrong shape (the message names the field).
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/json")
}

/// Reads at most `limit` bytes of a body, within `timeout` (a stalled upload gets 408).
pub async fn read_limited(
    request: Request,
    limit: usize,
    timeout: std::time::Duration,
) -> Result<bytes::Bytes, ApiError> {
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    let body: Body = request.into_body();
    let read = tokio::time::timeout(timeout, axum::body::to_bytes(body, limit)).await;
    let Ok(read) = read else {
        return Err(ApiError::RequestTimeout(timeout));
    };
    match read {
        Ok(bytes) => Ok(bytes),
        Err(e) => {
            let inner = e.into_inner();
            if is_length_limit(&*inner) {
                Err(ApiError::PayloadTooLarge { limit })
            } else {
                Err(ApiError::bad_request(
                    "unreadable_body",
                    "the request body could not be read",
                ))
            }
        }
    }
}

fn is_length_limit(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if err.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        cur = err.source();
    }
    false
}

/// Deserialises JSON, telling malformed JSON (400 `malformed_json`) from JSON of the
/// wrong shape (400 `invalid_field`, with the field's path).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        match inner.classify() {
            Category::Data => {
                let field = if path == "." { String::new() } else { path };
                let message = if field.is_empty() {
                    inner.to_string()
                } else {
                    format!("{field}: {inner}")
                };
                ApiError::BadRequest {
                    code: "invalid_field",
                    message: strip_position(&message),
                    field: (!field.is_empty()).then_some(field),
                }
            }
            Category::Syntax | Category::Eof | Category::Io => malformed(&inner),
        }
    })?;
    de.end().map_err(|e| malformed(&e))?;
    Ok(value)
}

fn malformed(e: &serde_json::Error) -> ApiError {
    ApiError::bad_request("malformed_json", format!("malformed JSON: {e}"))
}

/// serde_json appends " at line L column C" to data errors; the field path says more.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

impl<T: DeserializeOwned> FromRequest<AppState> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        if !is_json(request.headers()) {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = read_limited(request, state.max_body_bytes, state.body_timeout).await?;
        parse_json(&bytes).map(JsonBody)
    }
}

/// A query string as `name=value` pairs, rejecting names the route does not know.
pub fn query_pairs(raw: Option<&str>, known: &[&str]) -> Result<Vec<(String, String)>, ApiError> {
    let pairs: Vec<(String, String)> = match raw {
        None | Some("") => Vec::new(),
        Some(raw) => serde_urlencoded::from_str(raw)
            .map_err(|_| ApiError::bad_request("invalid_query", "the query string is malformed"))?,
    };
    for (name, _) in &pairs {
        if !known.contains(&name.as_str()) {
            return Err(ApiError::bad_field(
                name.clone(),
                format!(
                    "unknown query parameter {name:?}; known: {}",
                    known.join(", ")
                ),
            ));
        }
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use herald_core::notification::NotificationRequest;

    fn err_of(body: &str) -> (String, Option<String>) {
        match parse_json::<NotificationRequest>(body.as_bytes()) {
            Ok(_) => ("ok".into(), None),
            Err(ApiError::BadRequest { code, field, .. }) => (code.into(), field),
            Err(other) => (format!("{other:?}"), None),
        }
    }

    #[test]
    fn malformed_json_and_wrong_shapes_are_told_apart() {
        assert_eq!(err_of("{\"channel\": "), ("malformed_json".into(), None));
        assert_eq!(err_of("not json"), ("malformed_json".into(), None));
        assert_eq!(
            err_of(r#"{"channel":"log","recipient":{"address":"x"},"body":"b"} trailing"#).0,
            "malformed_json"
        );
        assert_eq!(
            err_of(r#"{"channel":"fax","recipient":{"address":"x"},"body":"b"}"#),
            ("invalid_field".into(), Some("channel".into()))
        );
        let (code, field) =
            err_of(r#"{"channel":"log","recipient":{"address":"x","zip":1},"body":"b"}"#);
        assert_eq!(code, "invalid_field");
        assert!(field.is_some_and(|f| f.starts_with("recipient")));
        assert_eq!(
            err_of(r#"{"channel":"log","recipient":{"address":"x"},"body":"b","colour":1}"#).0,
            "invalid_field"
        );
        assert_eq!(
            err_of(r#"{"channel":"log","recipient":{"address":"x"},"body":"b"}"#).0,
            "ok"
        );
    }

    #[test]
    fn unknown_query_parameters_are_named() {
        assert!(query_pairs(Some("status=dead&limit=5"), &["status", "limit"]).is_ok());
        match query_pairs(Some("stauts=dead"), &["status"]) {
            Err(ApiError::BadRequest { field, .. }) => assert_eq!(field.as_deref(), Some("stauts")),
            other => panic!("{other:?}"),
        }
    }
}
