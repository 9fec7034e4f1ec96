//! The OpenAPI 3.1 document of this API, served at `/openapi.json` and committed as
//! `docs/openapi.json` (a test fails when the two differ; regenerate the file with
//! `HERALD_WRITE_OPENAPI=1 cargo test -p herald-api --test api openapi`).
//!
//! The document is built here, from the constants the validation uses, and states
//! every constraint that validation enforces and JSON Schema can express: a request
//! the schema allows is accepted, one it forbids is refused. Two tests hold it to
//! that: `api/tests/contract.rs` sends the boundary values of every constrained field
//! (derived from this document) to a live API, and Schemathesis fuzzes it in
//! `scripts/test.sh` (docs/contract-testing.md). The few rules JSON Schema cannot
//! state — relations between two values, bounds relative to the clock — are in the
//! descriptions, and listed in docs/contract-testing.md.

use axum::Json;
use serde_json::{json, Map, Value};

use herald_core::job::DEFAULT_MAX_ATTEMPTS;
use herald_core::matches::{
    MAX_DURATION_SEC, MAX_MATCH_METADATA_BYTES, MAX_PLAYERS, MAX_PLAYER_ID_CHARS, MAX_POINTS,
};
use herald_core::notification::{
    time_zone_names, Channel, MAX_ADDRESS_CHARS, MAX_ATTEMPTS_LIMIT, MAX_BODY_BYTES,
    MAX_DATA_BYTES, MAX_EMAIL_CHARS, MAX_METADATA_BYTES, MAX_PUSH_BODY_BYTES, MAX_PUSH_TITLE_CHARS,
    MAX_SCHEDULE_DAYS, MAX_SMS_BODY_CHARS, MAX_SUBJECT_CHARS, MAX_TEMPLATE_CHARS,
};
use herald_core::store::{PageRequest, BULK_MAX};
use herald_core::JobStatus;

use crate::notifications::{MAX_BATCH, MAX_IDEMPOTENCY_KEY_LEN};
use herald_core::storable::MAX_JSON_DEPTH;

pub async fn serve() -> Json<Value> {
    Json(document())
}

/// The patterns of the values the API checks by hand (core/src/notification.rs and
/// core/src/matches.rs). They use only syntax ECMA-262, Python `re` and Rust `regex`
/// read alike: classes, groups, alternation and counted repetition.
pub mod patterns {
    /// Characters Rust's `char::is_whitespace` or `char::is_control` is true of:
    /// what no address may contain.
    const SPACE_OR_CONTROL: &str =
        r"\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";
    /// Characters `str::trim` removes (Unicode White_Space).
    const WHITE_SPACE: &str =
        r"\u0009-\u000d\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";

    /// Anything but whitespace and control characters (a `log` address).
    pub fn label() -> String {
        format!("^[^{SPACE_OR_CONTROL}]+$")
    }

    /// Holds a character that is not whitespace (`subject` is not blank). Unanchored.
    pub fn not_blank() -> String {
        format!("[^{WHITE_SPACE}]")
    }

    /// An absolute http(s) URL (`is_http_url`): a host that is a DNS name whose last
    /// label starts with a letter, a dotted-quad IPv4 address or a bracketed IPv6
    /// address; an optional port 1–65535; then an RFC 3986 path, query and fragment.
    pub fn webhook_url() -> String {
        let octet = "(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])";
        let ipv4 = format!("({octet}\\.){{3}}{octet}");
        let h = "[0-9A-Fa-f]{1,4}";
        let ipv6 = [
            format!("({h}:){{7}}{h}"),
            format!("({h}:){{1,7}}:"),
            format!("({h}:){{1,6}}:{h}"),
            format!("({h}:){{1,5}}(:{h}){{1,2}}"),
            format!("({h}:){{1,4}}(:{h}){{1,3}}"),
            format!("({h}:){{1,3}}(:{h}){{1,4}}"),
            format!("({h}:){{1,2}}(:{h}){{1,5}}"),
            format!("{h}:(:{h}){{1,6}}"),
            format!(":((:{h}){{1,7}}|:)"),
        ]
        .join("|");
        let name = "([A-Za-z0-9-]{1,63}\\.)*[A-Za-z][A-Za-z0-9-]{0,62}";
        let port = "(0{0,4}[1-9]|0{0,3}[1-9][0-9]|0{0,2}[1-9][0-9]{2}|0?[1-9][0-9]{3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])";
        // RFC 3986 after the authority: path, query, fragment.
        let pchar = "([A-Za-z0-9._~!$&'()*+,;=:@-]|%[0-9A-Fa-f]{2})";
        let tail = format!("(/{pchar}*)*(\\?({pchar}|[/?])*)?(#({pchar}|[/?])*)?");
        format!("^[Hh][Tt][Tt][Pp][Ss]?://({name}|{ipv4}|\\[({ipv6})\\])(:{port})?{tail}$")
    }

    /// `local@domain` (`is_email`): an ASCII dot-atom local part, and a domain of at
    /// least two labels of letters, digits and inner hyphens, each at most 63 long.
    pub fn email() -> String {
        let atext = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+";
        let label = "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
        format!("^{atext}(\\.{atext})*@{label}(\\.{label})+$")
    }

    /// E.164 (`is_e164`): `+`, a non-zero digit, then 6 to 14 digits.
    pub const E164: &str = r"^\+[1-9][0-9]{6,14}$";
    /// A push device token: printable ASCII without spaces.
    pub const PUSH_TOKEN: &str = "^[!-~]+$";
    /// A template name.
    pub const TEMPLATE: &str = "^[A-Za-z0-9._/-]+$";
    /// A player id.
    pub const PLAYER_ID: &str = "^[A-Za-z0-9._-]+$";
    /// `HH:MM`, 24-hour.
    pub const TIME_OF_DAY: &str = "^([01][0-9]|2[0-3]):[0-5][0-9]$";
    /// An `Idempotency-Key`: printable ASCII, inner spaces allowed.
    pub const IDEMPOTENCY_KEY: &str = "^[!-~]([ -~]*[!-~])?$";
}

fn schema_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

/// An error response whose `error.code` is one of `codes`.
fn error_response(description: &str, codes: &[&str]) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"allOf": [
            schema_ref("Error"),
            {"type": "object", "properties": {"error": {"type": "object", "properties": {
                "code": {"type": "string", "enum": codes}}}}}
        ]}}}
    })
}

fn json_response(description: &str, schema: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": schema_ref(schema)}}})
}

fn job_id_param(what: &str) -> Value {
    json!({"name": "id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"},
           "description": format!("The {what}'s id (a UUID, hyphenated). Another tenant's id is a 404, and so is text that is not a UUID.")})
}

fn page_params(with_status: bool) -> Value {
    let mut params = vec![
        json!({"name": "kind", "in": "query", "schema": schema_ref("JobKind")}),
        json!({"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": PageRequest::MAX_LIMIT, "default": PageRequest::DEFAULT_LIMIT}}),
        json!({"name": "cursor", "in": "query", "schema": {"type": "string", "format": "uuid"}, "description": "nextCursor of the previous page"}),
        json!({"name": "view", "in": "query", "schema": {"type": "string", "enum": ["summary", "full"], "default": "summary"},
               "description": format!("summary leaves out each job's payload; full returns whole jobs. A page also stops at {} bytes of items (nextCursor says where it stopped), so it may hold fewer than limit jobs before the last", crate::jobs::MAX_LIST_BYTES)}),
    ];
    if with_status {
        params.insert(
            0,
            json!({"name": "status", "in": "query", "schema": schema_ref("JobStatus")}),
        );
    }
    Value::Array(params)
}

fn idempotency_param(description: &str) -> Value {
    json!({
        "name": "Idempotency-Key", "in": "header", "required": false,
        "schema": {"type": "string", "minLength": 1, "maxLength": MAX_IDEMPOTENCY_KEY_LEN, "pattern": patterns::IDEMPOTENCY_KEY},
        "description": format!("{description} An invalid key is a 422 (error.field Idempotency-Key).")
    })
}

/// The responses every authenticated route can give.
fn common(extra: &[(&str, Value)]) -> Map<String, Value> {
    let mut r = Map::new();
    for (code, response) in extra {
        r.insert((*code).to_owned(), response.clone());
    }
    r.insert(
        "401".into(),
        error_response("Missing or unknown API key", &["unauthorized"]),
    );
    let mut limited = error_response(
        "Rate limited (a batch of n costs n jobs; failed authentication is limited per client address); retry after the Retry-After header's seconds",
        &["rate_limited"],
    );
    limited["headers"] = json!({"Retry-After": {"schema": {"type": "integer", "minimum": 1}}});
    r.insert("429".into(), limited);
    r.insert(
        "503".into(),
        error_response("Store unavailable; nothing was done", &["unavailable"]),
    );
    r.insert(
        "500".into(),
        error_response(
            "A bug or a corrupt stored record: the cause is in the operator's log. No request should ever earn one",
            &["internal"],
        ),
    );
    r
}

/// The errors of a route that creates jobs under an `Idempotency-Key`.
fn create_errors() -> Vec<(&'static str, Value)> {
    let mut errors = body_errors();
    for (status, response) in &mut errors {
        if *status == "422" {
            *response = error_response("Valid JSON that fails validation (validation_failed; error.field names the field: a priority above the tenant's TENANT_MAX_PRIORITY cap, metadata a store cannot hold, a batch larger than the key's rate-limit burst, ...), a webhook URL naming an internal address (forbidden_target), or an Idempotency-Key replayed within IDEMPOTENCY_TTL with a different body (idempotency_key_reused)", &["validation_failed", "forbidden_target", "idempotency_key_reused"]);
        }
    }
    errors
}

/// The errors of a route that reads a JSON body.
fn body_errors() -> Vec<(&'static str, Value)> {
    vec![
        ("400", error_response("Malformed JSON (malformed_json), a field of the wrong type or unknown (invalid_field; error.field names it), or a body that could not be read (unreadable_body)", &["malformed_json", "invalid_field", "unreadable_body"])),
        ("408", error_response("The body did not fully arrive within BODY_TIMEOUT_MS", &["request_timeout"])),
        ("413", error_response("Body larger than MAX_BODY_BYTES (refused before it is read)", &["payload_too_large"])),
        ("415", error_response("Content-Type is not application/json", &["unsupported_media_type"])),
        ("422", error_response("Valid JSON that fails validation (validation_failed; error.field names the field: a priority above the tenant's TENANT_MAX_PRIORITY cap, metadata a store cannot hold, a batch larger than the key's rate-limit burst, ...), or a webhook URL naming an internal address (forbidden_target)", &["validation_failed", "forbidden_target"])),
    ]
}

fn not_found(what: &str) -> (&'static str, Value) {
    (
        "404",
        error_response(&format!("No such {what} for this tenant"), &["not_found"]),
    )
}

/// The links from an answer carrying a job id at `id` (a runtime expression) to the
/// operations that take it.
fn job_links(id: &str, is_match: bool) -> Value {
    let to = |operation: &str, description: &str| json!({"operationId": operation, "parameters": {"id": id}, "description": description});
    let mut links = json!({
        "GetJob": to("getJob", "The job"),
        "CancelJob": to("cancelJob", "Cancel it while it waits"),
        "RetryJob": to("retryJob", "Re-drive it once dead"),
    });
    if is_match {
        links["GetMatch"] = to("getMatch", "The match's state");
        links["AppendMatchEvent"] = to("appendMatchEvent", "Append an event to its log");
        // Events naming the match's first player, so a link-following client (or
        // fuzzer) sends events the match takes.
        let player = "$request.body#/players/0/id";
        for (name, event) in [
            ("JoinMatch", json!({"type": "join", "playerId": player})),
            (
                "ScoreInMatch",
                json!({"type": "score", "playerId": player, "points": 1}),
            ),
            ("EndMatch", json!({"type": "end"})),
        ] {
            let mut link = to("appendMatchEvent", "An event for the match's first player");
            link["requestBody"] = event;
            links[name] = link;
        }
    }
    links
}

fn accepted(description: &str, links: &Value) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": schema_ref("Accepted")}}, "links": links})
}

/// The name of a per-channel schema: `EmailNotification`, `SmsRecipient`...
fn channel_schema(channel: Channel, suffix: &str) -> String {
    let name = channel.as_str();
    let mut chars = name.chars();
    let first = chars.next().map(|c| c.to_ascii_uppercase());
    format!(
        "{}{}{suffix}",
        first.map(String::from).unwrap_or_default(),
        chars.as_str()
    )
}

fn address_schema(channel: Channel) -> Value {
    let (pattern, max, description) = match channel {
        Channel::Webhook => (
            patterns::webhook_url(),
            MAX_ADDRESS_CHARS,
            "An absolute http(s) URL without credentials. Its host is a DNS name whose last label starts with a letter, a dotted-quad IPv4 address or a bracketed IPv6 address (no IPv4 shorthand such as 127.1), then an RFC 3986 path, query and fragment (non-ASCII and characters such as spaces, { } | \\ ^ are percent-encoded). A URL naming a loopback, private, link-local or otherwise internal IP literal, or localhost, is refused with 422 forbidden_target unless WEBHOOK_ALLOWED_CIDRS allows it.",
        ),
        Channel::Email => (
            patterns::email(),
            MAX_EMAIL_CHARS,
            "local@domain: an ASCII dot-atom local part of at most 64 characters and a domain of two or more labels of letters, digits and inner hyphens (at most 63 each).",
        ),
        Channel::Sms => (
            patterns::E164.to_owned(),
            16,
            "An E.164 phone number: + and 7 to 15 digits, the first not 0 (+14155550123).",
        ),
        Channel::Push => (
            patterns::PUSH_TOKEN.to_owned(),
            MAX_ADDRESS_CHARS,
            "A device registration token: printable ASCII, no spaces.",
        ),
        Channel::Log => (
            patterns::label(),
            MAX_ADDRESS_CHARS,
            "Any label without whitespace or control characters; log delivers nowhere.",
        ),
    };
    let mut schema = json!({"type": "string", "minLength": 1, "maxLength": max, "pattern": pattern, "description": description});
    // The pattern and the format together are the rule: `uri` (RFC 3986) is what the
    // pattern's tail says, `email` adds the 64-character local part.
    match channel {
        Channel::Webhook => schema["format"] = json!("uri"),
        Channel::Email => schema["format"] = json!("email"),
        Channel::Sms | Channel::Push | Channel::Log => {}
    }
    schema
}

fn recipient_schema(channel: Channel) -> Value {
    json!({"type": "object", "additionalProperties": false, "required": ["address"], "properties": {
        "address": address_schema(channel),
        "timezone": schema_ref("TimeZone")}})
}

/// How a notification gives its text: exactly one of the two.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Content {
    Body,
    Template,
}

/// A `channel` notification giving its text as `content`: `EmailBodyNotification`,
/// `EmailTemplateNotification`... Each is a closed object, so the two forms of a
/// channel exclude each other (body xor template; data only with template).
fn notification_schema(channel: Channel, content: Content) -> Value {
    let subject_max = match channel {
        Channel::Push => MAX_PUSH_TITLE_CHARS,
        _ => MAX_SUBJECT_CHARS,
    };
    let mut properties = json!({
        "channel": {"type": "string", "const": channel.as_str()},
        "recipient": schema_ref(&channel_schema(channel, "Recipient")),
        "subject": {"type": "string", "minLength": 1, "maxLength": subject_max, "pattern": patterns::not_blank(),
            "description": if channel == Channel::Push { "The push title; not blank" } else { "Not blank" }},
        "priority": {"allOf": [schema_ref("Priority")], "description": "Above the tenant's cap (TENANT_MAX_PRIORITY) is a 422 on priority"},
        "sendAt": {"type": "string", "format": "date-time",
            "description": format!("RFC 3339 with an offset, at most {MAX_SCHEDULE_DAYS} days ahead (further is a 422); the job is scheduled until then, a past time sends now")},
        "quietHours": schema_ref("QuietHours"),
        "maxAttempts": {"type": "integer", "minimum": 1, "maximum": MAX_ATTEMPTS_LIMIT, "default": DEFAULT_MAX_ATTEMPTS},
        "metadata": {"type": "object", "additionalProperties": true, "propertyNames": {"pattern": "^[^\\u0000]*$"}, "description": format!("Opaque to Herald, returned with the job and passed to webhooks; at most {MAX_METADATA_BYTES} bytes as JSON. What a store cannot hold is a 422: an integer above 9223372036854775807, a NUL in a key, nesting deeper than {MAX_JSON_DEPTH} levels")}
    });
    let (required, description) = match content {
        Content::Body => {
            properties["body"] = match channel {
                Channel::Sms => {
                    json!({"type": "string", "minLength": 1, "maxLength": MAX_SMS_BODY_CHARS,
                    "description": format!("At most {MAX_SMS_BODY_CHARS} characters")})
                }
                Channel::Push => {
                    json!({"type": "string", "minLength": 1, "maxLength": MAX_PUSH_BODY_BYTES,
                    "description": format!("At most {MAX_PUSH_BODY_BYTES} bytes as UTF-8 (so at most {MAX_PUSH_BODY_BYTES} characters)")})
                }
                _ => json!({"type": "string", "minLength": 1, "maxLength": MAX_BODY_BYTES,
                    "description": format!("At most {MAX_BODY_BYTES} bytes as UTF-8 (so at most {MAX_BODY_BYTES} characters)")}),
            };
            (
                "body",
                format!("A {channel} notification with its text in body"),
            )
        }
        Content::Template => {
            properties["template"] = json!({"type": "string", "minLength": 1, "maxLength": MAX_TEMPLATE_CHARS, "pattern": patterns::TEMPLATE,
                "description": "A template name, rendered with data by the worker"});
            properties["data"] = json!({"type": "object", "additionalProperties": true, "propertyNames": {"pattern": "^[^\\u0000]*$"},
                "description": format!("Template variables; at most {MAX_DATA_BYTES} bytes as JSON")});
            (
                "template",
                format!("A {channel} notification rendered from a template"),
            )
        }
    };
    json!({
        "type": "object", "additionalProperties": false, "required": ["channel", "recipient", required],
        "description": description, "properties": properties
    })
}

/// `oneOf` the per-channel schemas named `<Channel><suffix>`, told apart by `channel`.
fn by_channel(suffix: &str) -> Value {
    let names: Vec<String> = Channel::ALL
        .iter()
        .map(|&c| channel_schema(c, suffix))
        .collect();
    let mapping: Map<String, Value> = Channel::ALL
        .iter()
        .zip(&names)
        .map(|(c, name)| (c.as_str().to_owned(), schema_ref(name)["$ref"].clone()))
        .collect();
    json!({
        "oneOf": names.iter().map(|n| schema_ref(n)).collect::<Vec<_>>(),
        "discriminator": {"propertyName": "channel", "mapping": mapping}
    })
}

fn event_schema(kind: &str, required: &[&str], properties: Value, description: &str) -> Value {
    let mut props = json!({"type": {"type": "string", "const": kind}});
    if let (Some(p), Some(extra)) = (props.as_object_mut(), properties.as_object()) {
        p.extend(extra.clone());
    }
    let mut req = vec!["type"];
    req.extend_from_slice(required);
    json!({"type": "object", "additionalProperties": false, "required": req, "properties": props, "description": description})
}

fn schemas() -> Map<String, Value> {
    let player_id = json!({"type": "string", "minLength": 1, "maxLength": MAX_PLAYER_ID_CHARS, "pattern": patterns::PLAYER_ID});
    let nullable_time = json!({"type": ["string", "null"], "format": "date-time"});
    let time = json!({"type": "string", "format": "date-time"});
    let uuid = json!({"type": "string", "format": "uuid"});
    let mut s = Map::new();
    let mut put = |name: &str, schema: Value| {
        s.insert(name.to_owned(), schema);
    };
    put(
        "Error",
        json!({"type": "object", "required": ["error"], "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
        "code": {"type": "string", "enum": ["malformed_json", "invalid_field", "unreadable_body", "invalid_query", "validation_failed", "forbidden_target", "idempotency_key_reused", "unauthorized", "forbidden", "not_found", "method_not_allowed", "invalid_state", "match_ended", "payload_too_large", "request_timeout", "unsupported_media_type", "rate_limited", "unavailable", "not_configured", "too_many_streams", "internal"]},
        "message": {"type": "string"},
        "field": {"type": "string", "description": "The failing field's path, e.g. recipient.address or notifications[3].channel"}}}}}),
    );
    put(
        "Channel",
        json!({"type": "string", "enum": Channel::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>()}),
    );
    put(
        "Priority",
        json!({"type": "string", "enum": ["critical", "high", "normal", "low"], "default": "normal"}),
    );
    put(
        "JobKind",
        json!({"type": "string", "enum": ["notification", "match"]}),
    );
    put(
        "JobStatus",
        json!({"type": "string", "enum": ["pending", "scheduled", "running", "succeeded", "dead", "cancelled"]}),
    );
    put(
        "TimeOfDay",
        json!({"type": "string", "pattern": patterns::TIME_OF_DAY}),
    );
    put(
        "TimeZone",
        json!({"type": "string", "enum": time_zone_names().collect::<Vec<_>>(),
        "description": "An IANA time zone name (tz database), spelled exactly, e.g. Europe/Paris: quiet hours are read in it (UTC when absent)"}),
    );
    put(
        "QuietHours",
        json!({"type": "object", "additionalProperties": false, "required": ["start", "end"],
        "description": "A daily window in the recipient's time zone in which non-critical notifications wait; start > end wraps midnight. start and end differ (equal is a 422).",
        "properties": {"start": schema_ref("TimeOfDay"), "end": schema_ref("TimeOfDay")}}),
    );
    for channel in Channel::ALL {
        put(
            &channel_schema(channel, "Recipient"),
            recipient_schema(channel),
        );
        let forms = [
            (Content::Body, "BodyNotification"),
            (Content::Template, "TemplateNotification"),
        ];
        for (content, suffix) in forms {
            put(
                &channel_schema(channel, suffix),
                notification_schema(channel, content),
            );
        }
        put(
            &channel_schema(channel, "Notification"),
            json!({
                "description": format!("A {channel} notification: exactly one of body and template (data only with template)"),
                "oneOf": forms.iter().map(|(_, suffix)| schema_ref(&channel_schema(channel, suffix))).collect::<Vec<_>>()
            }),
        );
        put(
            &channel_schema(channel, "PlayerNotify"),
            json!({"type": "object", "additionalProperties": false, "required": ["channel", "recipient"],
            "properties": {"channel": {"type": "string", "const": channel.as_str()}, "recipient": schema_ref(&channel_schema(channel, "Recipient"))}}),
        );
    }
    let mut notification = by_channel("Notification");
    notification["description"] =
        json!("A notification; its channel selects which addresses and limits apply.");
    put("Notification", notification);
    put(
        "Batch",
        json!({"type": "object", "additionalProperties": false, "required": ["notifications"], "properties": {
        "notifications": {"type": "array", "minItems": 1, "maxItems": MAX_BATCH, "items": schema_ref("Notification")}}}),
    );
    put(
        "Accepted",
        json!({"type": "object", "required": ["id", "status"], "properties": {
        "id": uuid, "status": schema_ref("JobStatus")}}),
    );
    put(
        "BatchAccepted",
        json!({"type": "object", "required": ["ids"], "properties": {"ids": {"type": "array", "minItems": 1, "items": uuid, "description": "In the order of the request"}}}),
    );
    put(
        "Job",
        json!({"type": "object", "required": ["id", "kind", "tenant", "priority", "status", "runAt", "attempts", "maxAttempts", "lastError", "lockedBy", "lockedAt", "lockExpiry", "leaseVersion", "idempotencyKey", "createdAt", "updatedAt", "completedAt", "history"], "properties": {
        "id": uuid, "kind": schema_ref("JobKind"), "tenant": {"type": "string"},
        "priority": schema_ref("Priority"), "status": schema_ref("JobStatus"),
        "payload": {"type": "object", "additionalProperties": true, "description": "The validated request (a notification or a match). Always present on GET /v1/jobs/{id}; absent from list items in the summary view (the default)"},
        "runAt": time, "attempts": {"type": "integer", "minimum": 0}, "maxAttempts": {"type": "integer", "minimum": 1},
        "lastError": {"type": ["string", "null"]}, "lockedBy": {"type": ["string", "null"]},
        "lockedAt": nullable_time, "lockExpiry": nullable_time,
        "leaseVersion": {"type": "integer", "minimum": 0}, "idempotencyKey": {"type": ["string", "null"]},
        "createdAt": time, "updatedAt": time, "completedAt": nullable_time,
        "history": {"type": "array", "items": {"type": "object", "required": ["at", "attempt", "worker", "outcome"], "properties": {
            "at": time, "attempt": {"type": "integer", "minimum": 0}, "worker": {"type": ["string", "null"]},
            "outcome": {"type": "string", "enum": ["succeeded", "retrying", "dead", "snoozed", "released", "lease_expired", "cancelled"]},
            "error": {"type": "string"}}}}}}),
    );
    put(
        "JobPage",
        json!({"type": "object", "required": ["items", "nextCursor"], "properties": {
        "items": {"type": "array", "items": schema_ref("Job")},
        "nextCursor": {"type": ["string", "null"], "format": "uuid", "description": "Pass as cursor for the next page; null on the last"}}}),
    );
    put("PlayerNotify", {
        let mut v = by_channel("PlayerNotify");
        v["description"] = json!("Where the player's result notification goes (validated like a notification's recipient)");
        v
    });
    put(
        "Player",
        json!({"type": "object", "additionalProperties": false, "required": ["id", "notify"], "properties": {
        "id": player_id.clone(), "notify": schema_ref("PlayerNotify")}}),
    );
    put(
        "Match",
        json!({
            "type": "object", "additionalProperties": false, "required": ["type", "players", "durationSec"],
            "properties": {
                "type": {"type": "string", "enum": ["scoreboard"]},
                "players": {"type": "array", "minItems": 1, "maxItems": MAX_PLAYERS, "uniqueItems": true, "items": schema_ref("Player"),
                    "description": "Player ids are unique within the match (a repeated id is a 422)"},
                "durationSec": {"type": "integer", "minimum": 1, "maximum": MAX_DURATION_SEC, "description": "The match ends this long after a host starts it, or at an end event"},
                "metadata": {"type": "object", "additionalProperties": true, "propertyNames": {"pattern": "^[^\\u0000]*$"}, "description": format!("At most {MAX_MATCH_METADATA_BYTES} bytes as JSON; an integer above 9223372036854775807, a NUL in a key or nesting deeper than {MAX_JSON_DEPTH} levels is a 422")}
            }
        }),
    );
    put(
        "JoinEvent",
        event_schema(
            "join",
            &["playerId"],
            json!({"playerId": player_id.clone()}),
            "A player joins; playerId names a player of the match (another is a 422)",
        ),
    );
    put(
        "ScoreEvent",
        event_schema(
            "score",
            &["playerId", "points"],
            json!({"playerId": player_id.clone(),
        "points": {"type": "integer", "minimum": -MAX_POINTS, "maximum": MAX_POINTS}}),
            "Points for a player of the match (another is a 422)",
        ),
    );
    put(
        "EndEvent",
        event_schema("end", &[], json!({}), "Ends the match now"),
    );
    put(
        "MatchEvent",
        json!({
            "oneOf": [schema_ref("JoinEvent"), schema_ref("ScoreEvent"), schema_ref("EndEvent")],
            "discriminator": {"propertyName": "type", "mapping": {
                "join": "#/components/schemas/JoinEvent", "score": "#/components/schemas/ScoreEvent", "end": "#/components/schemas/EndEvent"}}
        }),
    );
    put(
        "LoggedEvent",
        json!({"type": "object", "required": ["seq", "type", "at"], "properties": {
        "seq": {"type": "integer", "minimum": 1},
        "type": {"type": "string", "enum": ["join", "score", "end"]},
        "playerId": {"type": "string"},
        "points": {"type": "integer"},
        "at": time.clone()}}),
    );
    put(
        "EventPage",
        json!({"type": "object", "required": ["events", "nextAfter", "lastSeq"], "properties": {
        "events": {"type": "array", "items": schema_ref("LoggedEvent"), "description": "Ascending by seq"},
        "nextAfter": {"type": ["integer", "null"], "description": "The after of the next page; null when this page reached the log's end"},
        "lastSeq": {"type": "integer", "minimum": 0}}}),
    );
    put(
        "TokenRequest",
        json!({"type": "object", "additionalProperties": false, "required": ["ttlSec"], "properties": {
        "playerId": {"type": "string", "description": "A player of the match: the token may then send join and score events as this player over the WebSocket. Absent: a spectator's token"},
        "ttlSec": {"type": "integer", "minimum": 1, "maximum": crate::streams::tokens::MAX_TTL_SEC}}}),
    );
    put(
        "BulkFilter",
        json!({"type": "object", "additionalProperties": false, "description": "Every field that is set must match; {} selects all of the tenant's jobs in the starting status", "properties": {
        "channel": schema_ref("Channel"),
        "kind": schema_ref("JobKind"),
        "priority": schema_ref("Priority"),
        "createdAfter": {"type": "string", "format": "date-time", "description": "Created strictly after"},
        "createdBefore": {"type": "string", "format": "date-time", "description": "Created strictly before"},
        "errorContains": {"type": "string", "minLength": 1, "maxLength": crate::bulk::MAX_ERROR_TEXT, "description": "lastError contains this text (case-sensitive, literal)"},
        "ids": {"type": "array", "maxItems": BULK_MAX, "items": uuid.clone(), "description": "Only these jobs; another tenant's id selects nothing"}}}),
    );
    put(
        "BulkRequest",
        json!({"type": "object", "additionalProperties": false, "required": ["filter"], "properties": {
        "filter": schema_ref("BulkFilter"),
        "limit": {"type": "integer", "minimum": 1, "maximum": BULK_MAX, "default": BULK_MAX, "description": "The most jobs this call selects"},
        "cursor": {"type": "string", "format": "uuid", "description": "nextCursor of the previous call with the same filter: carry on below it"}}}),
    );
    let bulk_result = |moved: &str, what: &str| {
        json!({"type": "object", "required": ["matched", moved, "ids", "nextCursor"], "properties": {
        "matched": {"type": "integer", "minimum": 0, "maximum": BULK_MAX, "description": format!("{what} jobs this call selected, newest first (at most limit)")},
        moved: {"type": "integer", "minimum": 0, "maximum": BULK_MAX, "description": "How many of them changed; fewer than matched only when another caller changed a job in between"},
        "ids": {"type": "array", "items": uuid.clone(), "description": "The changed jobs, newest first"},
        "nextCursor": {"type": ["string", "null"], "format": "uuid", "description": "Present when the call reached its limit: pass it as cursor, with the same filter, for the rest; null when the sweep is done"}}})
    };
    put("BulkRetried", bulk_result("retried", "Dead"));
    put(
        "BulkCancelled",
        bulk_result("cancelled", "Waiting (pending or scheduled)"),
    );
    put(
        "IssuedToken",
        json!({"type": "object", "required": ["token", "expiresAt"], "properties": {
        "token": {"type": "string", "description": "Pass as ?token= to the stream routes"},
        "expiresAt": time}}),
    );
    put(
        "EventAccepted",
        json!({"type": "object", "required": ["seq"], "properties": {
        "seq": {"type": "integer", "minimum": 1, "description": "The event's place in the match's log: 1, 2, 3… with no gaps, whichever API instance appended it"}}}),
    );
    put(
        "MatchView",
        json!({"type": "object", "required": ["id", "type", "status", "hostedBy", "state", "stateVersion", "appliedSeq", "lastSeq", "startedAt", "endsAt", "result", "players", "durationSec", "attempts", "lastError", "createdAt", "completedAt"], "properties": {
        "id": uuid, "type": {"type": "string", "enum": ["scoreboard"]},
        "status": schema_ref("JobStatus"),
        "hostedBy": {"type": ["string", "null"], "description": "The worker hosting the match while it runs"},
        "state": {"type": "object", "additionalProperties": true, "description": "{\"scores\": {playerId: points}, \"joined\": [...]}; before a host starts the match, the state it starts from"},
        "stateVersion": {"type": "integer", "minimum": 0},
        "appliedSeq": {"type": "integer", "minimum": 0, "description": "The last event folded into state"},
        "lastSeq": {"type": "integer", "minimum": 0, "description": "The last event appended"},
        "startedAt": nullable_time, "endsAt": nullable_time,
        "result": {"type": ["object", "null"], "required": ["standings", "endedBy"], "properties": {
            "standings": {"type": "array", "items": {"type": "object", "required": ["playerId", "points", "rank"], "properties": {
                "playerId": {"type": "string"}, "points": {"type": "integer"}, "rank": {"type": "integer", "minimum": 1}}}},
            "endedBy": {"type": "string", "enum": ["end", "time"]}}},
        "players": {"type": "array", "items": schema_ref("Player")},
        "durationSec": {"type": "integer"}, "metadata": {"type": "object", "additionalProperties": true},
        "attempts": {"type": "integer", "minimum": 0}, "lastError": {"type": ["string", "null"]},
        "createdAt": time, "completedAt": nullable_time}}),
    );
    put(
        "Queues",
        json!({"type": "object", "required": ["countCap", "generatedAt", "queues"], "properties": {
            "countCap": {"type": "integer", "minimum": 1, "description": "A count equal to this means at least this many"},
            "generatedAt": time,
            "queues": {"type": "array", "items": {"type": "object", "required": ["kind", "priority", "counts", "oldestReadyAgeSeconds"], "properties": {
                "kind": schema_ref("JobKind"), "priority": schema_ref("Priority"),
                "counts": {"type": "object", "required": JobStatus::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(), "properties": JobStatus::ALL.iter().map(|s| (s.as_str().to_owned(), json!({"type": "integer", "minimum": 0}))).collect::<Map<String, Value>>(), "additionalProperties": false},
                "oldestReadyAgeSeconds": {"type": ["number", "null"], "minimum": 0, "description": "Age of the oldest pending or scheduled job that is due; null when none"}
            }, "additionalProperties": false}}
        }, "additionalProperties": false}),
    );
    put(
        "Workers",
        json!({"type": "object", "required": ["totalWorkers", "activeWorkers", "idleWorkers", "totalMatches", "generatedAt", "workers"], "properties": {
        "totalWorkers": {"type": "integer", "minimum": 0}, "activeWorkers": {"type": "integer", "minimum": 0, "description": "With jobs in flight or matches hosted"},
        "idleWorkers": {"type": "integer", "minimum": 0}, "totalMatches": {"type": "integer", "minimum": 0}, "generatedAt": time,
        "workers": {"type": "array", "items": {"type": "object", "properties": {
            "workerId": {"type": "string"}, "hostname": {"type": "string"}, "pid": {"type": "integer"},
            "startedAt": time, "inFlight": {"type": "integer"}, "capacity": {"type": "integer"},
            "activeMatches": {"type": "integer"}, "matchCapacity": {"type": "integer"}, "processed": {"type": "integer"},
            "lastSeen": time, "status": {"type": "string", "enum": ["active", "idle"]}}}}}}),
    );
    put(
        "Ready",
        json!({"type": "object", "required": ["status", "store", "broker"], "properties": {
        "status": {"type": "string", "enum": ["ready", "unavailable"]},
        "store": {"type": "string", "enum": ["ok", "unavailable"]},
        "broker": {"type": "string", "enum": ["ok", "unavailable", "embedded"]}}}),
    );
    s
}

/// The document. Built in code so it can use the API's constants.
pub fn document() -> Value {
    let with = |base: Map<String, Value>, extra: &[(&str, Value)]| {
        let mut r = base;
        for (code, response) in extra {
            r.insert((*code).to_owned(), response.clone());
        }
        Value::Object(r)
    };
    let notification_links = job_links("$response.body#/id", false);
    let batch_links = job_links("$response.body#/ids/0", false);
    let match_links = job_links("$response.body#/id", true);
    let event_links = json!({"GetMatch": {"operationId": "getMatch", "parameters": {"id": "$request.path.id"}, "description": "The match the event was appended to"}});
    let job_read_links = json!({"CancelJob": {"operationId": "cancelJob", "parameters": {"id": "$response.body#/id"}},
                                "RetryJob": {"operationId": "retryJob", "parameters": {"id": "$response.body#/id"}}});

    let create_responses = with(common(&create_errors()), &[
        ("202", accepted("Stored durably (and published to RabbitMQ unless the broker is down; the worker poller then dispatches it)", &notification_links)),
        ("200", accepted("Idempotent replay: the job the key already names", &notification_links)),
    ]);
    let batch_accepted = |description: &str| json!({"description": description, "content": {"application/json": {"schema": schema_ref("BatchAccepted")}}, "links": batch_links});
    let batch_responses = with(
        common(&create_errors()),
        &[
            ("202", batch_accepted("All stored (in order), or none")),
            ("200", batch_accepted("Idempotent replay of a whole batch")),
        ],
    );
    let match_create_responses = with(common(&create_errors()), &[
        ("202", accepted("Stored durably and published to the match queue; a worker with a free slot hosts it", &match_links)),
        ("200", accepted("Idempotent replay: the match the key already names", &match_links)),
    ]);
    let mut event_errors = body_errors();
    event_errors.push(not_found("match"));
    event_errors.push((
        "409",
        error_response("The match has ended", &["match_ended"]),
    ));
    let event_accepted = |description: &str| json!({"description": description, "content": {"application/json": {"schema": schema_ref("EventAccepted")}}, "links": event_links});
    let event_responses = with(common(&event_errors), &[
        ("202", event_accepted("Appended durably to the match's log with the next sequence number; the hosting worker is woken")),
        ("200", event_accepted("Idempotent replay: the seq of the event the key already names on this match (answered even after the match ended); nothing is appended")),
    ]);
    let token_param = json!({"name": "token", "in": "query", "schema": {"type": "string"},
        "description": "A player token from createStreamToken, instead of the Authorization header (EventSource and browser WebSockets cannot set headers). Wrong match, expired or tampered: 401"});
    let stream_params = json!([job_id_param("match"),
        {"name": "after", "in": "query", "schema": {"type": "integer", "minimum": 0}, "description": "Resume: every event with a greater seq, then live ones. Absent: the current state, then the events after its appliedSeq"},
        {"name": "Last-Event-ID", "in": "header", "schema": {"type": "integer", "minimum": 0}, "description": "What a browser's EventSource sends on reconnect; wins over ?after="},
        token_param]);
    let query_errors = (
        "400",
        error_response(
            "An unknown query parameter, or a value of the wrong form (error.field names it)",
            &["invalid_field", "invalid_query"],
        ),
    );
    let log_responses = with(
        common(&[query_errors.clone(), not_found("match")]),
        &[("200", json_response("A page of the log", "EventPage"))],
    );
    let mut token_errors = body_errors();
    token_errors.push(not_found("match"));
    let token_unavailable = error_response("STREAM_TOKEN_SECRET is not set (not_configured), or the store is unreachable (unavailable)", &["not_configured", "unavailable"]);
    let token_responses = with(
        common(&token_errors),
        &[
            (
                "200",
                json_response(
                    "A signed token scoped to this match (and player)",
                    "IssuedToken",
                ),
            ),
            ("503", token_unavailable),
        ],
    );
    let stream_errors = [
        query_errors,
        not_found("match"),
        (
            "403",
            error_response(
                "The request's Origin is not the API's own nor in STREAM_ALLOWED_ORIGINS",
                &["forbidden"],
            ),
        ),
    ];
    let mut streams_full = error_response("STREAM_MAX_CONNECTIONS streams are open on this instance (too_many_streams; retry after Retry-After, or on another instance), or the store is unreachable", &["too_many_streams", "unavailable"]);
    streams_full["headers"] = json!({"Retry-After": {"schema": {"type": "integer", "minimum": 1}}});
    let sse_responses = with(
        common(&stream_errors),
        &[
            (
                "200",
                json!({"description": "An event stream: one Server-Sent Event per message (docs/streams.md). `event` is the kind (event, state, ended, or an error before a close); `data` its JSON; `id` the seq, on `event` messages only", "content": {"text/event-stream": {"schema": {"type": "object", "properties": {"event": {"type": "string"}, "data": {"type": "string"}, "id": {"type": "string"}, "retry": {"type": "integer"}}}}}}),
            ),
            ("503", streams_full.clone()),
        ],
    );
    let ws_responses = with(
        common(&stream_errors),
        &[
            (
                "101",
                json!({"description": "Switching to the WebSocket protocol (JSON text frames)"}),
            ),
            ("503", streams_full),
        ],
    );
    let mut get_job = json_response("The job", "Job");
    get_job["links"] = job_read_links.clone();
    let get_responses = with(common(&[not_found("job")]), &[("200", get_job)]);
    let list_errors = [(
        "400",
        error_response(
            "An unknown query parameter, or a value of the wrong form (error.field names it)",
            &["invalid_field", "invalid_query"],
        ),
    )];
    let list_responses = with(
        common(&list_errors),
        &[("200", json_response("A page, newest first", "JobPage"))],
    );
    let cancel_responses = with(
        common(&[
            not_found("job"),
            (
                "409",
                error_response(
                    "The job is not waiting (pending or scheduled)",
                    &["invalid_state"],
                ),
            ),
        ]),
        &[("200", json_response("The cancelled job", "Job"))],
    );
    let retry_responses = with(
        common(&[
            not_found("job"),
            (
                "409",
                error_response("The job is not dead", &["invalid_state"]),
            ),
        ]),
        &[(
            "202",
            json_response(
                "Pending again with fresh attempts, and published",
                "Accepted",
            ),
        )],
    );
    let bulk_retry_responses = with(
        common(&body_errors()),
        &[(
            "200",
            json_response(
                "The dead jobs selected are pending again with fresh attempts, and published",
                "BulkRetried",
            ),
        )],
    );
    let bulk_cancel_responses = with(
        common(&body_errors()),
        &[(
            "200",
            json_response("The waiting jobs selected are cancelled", "BulkCancelled"),
        )],
    );
    let match_get_responses = with(
        common(&[not_found("match")]),
        &[("200", json_response("The match", "MatchView"))],
    );
    let queues_responses = with(
        common(&[]),
        &[(
            "200",
            json_response("The tenant's queues: counts by state (each up to countCap) and the oldest ready job's age, per kind and priority", "Queues"),
        )],
    );
    let workers_responses = with(
        common(&[]),
        &[(
            "200",
            json_response("Workers heard from within 3 heartbeat intervals", "Workers"),
        )],
    );
    let idempotency = idempotency_param("Replaying a request with the same key and body (per tenant and route, across API instances, within IDEMPOTENCY_TTL, 24 h by default) returns the first request's job(s) with 200 and creates nothing; the same key with another body is a 422 idempotency_key_reused; after the TTL the key creates a new job.");
    let event_idempotency = idempotency_param("Replaying an event with a key already used on this match (across API instances) returns the first event's seq with 200 and appends nothing. Keys are per match.");
    let body = |schema: &str, example: Value| json!({"required": true, "content": {"application/json": {"schema": schema_ref(schema), "example": example}}});
    let notification_example = json!({"channel": "email", "recipient": {"address": "ada@example.com", "timezone": "Europe/London"},
        "subject": "Your order shipped", "template": "order-shipped", "data": {"order": "A-1001"}, "priority": "high", "maxAttempts": 5});
    let match_example = json!({"type": "scoreboard", "durationSec": 600, "players": [
        {"id": "ada", "notify": {"channel": "email", "recipient": {"address": "ada@example.com"}}},
        {"id": "bob", "notify": {"channel": "sms", "recipient": {"address": "+14155550123"}}}]});

    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Herald API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Notification and live-match job queue. 202 is only returned once a job is durably stored. Errors are {\"error\":{\"code\",\"message\",\"field\"?}}; a route that does not exist is a 404 not_found, a method a route does not take a 405 method_not_allowed."
        },
        "security": [{"bearer": []}],
        "paths": {
            "/v1/notifications": {"post": {
                "operationId": "createNotification",
                "summary": "Enqueue one notification",
                "parameters": [idempotency.clone()],
                "requestBody": body("Notification", notification_example.clone()),
                "responses": create_responses
            }},
            "/v1/notifications/batch": {"post": {
                "operationId": "createNotificationBatch",
                "summary": format!("Enqueue up to {MAX_BATCH} notifications, validated all-or-nothing"),
                "parameters": [idempotency.clone()],
                "requestBody": body("Batch", json!({"notifications": [notification_example, {"channel": "log", "recipient": {"address": "audit"}, "body": "hello"}]})),
                "responses": batch_responses
            }},
            "/v1/matches": {"post": {
                "operationId": "createMatch",
                "summary": "Create a match; a worker hosts it until it ends",
                "parameters": [idempotency],
                "requestBody": body("Match", match_example),
                "responses": match_create_responses
            }},
            "/v1/matches/{id}": {"get": {"operationId": "getMatch", "summary": "A match: status, host, state, progress, result", "parameters": [job_id_param("match")], "responses": match_get_responses}},
            "/v1/matches/{id}/events": {"post": {
                "operationId": "appendMatchEvent",
                "summary": "Append an event to a match's log",
                "parameters": [job_id_param("match"), event_idempotency],
                "requestBody": body("MatchEvent", json!({"type": "score", "playerId": "ada", "points": 3})),
                "responses": event_responses
            }, "get": {
                "operationId": "listMatchEvents",
                "summary": "Read a match's event log after a seq, ascending (cursor-paged); a tenant key or a player token",
                "parameters": [job_id_param("match"),
                    {"name": "after", "in": "query", "schema": {"type": "integer", "minimum": 0, "default": 0}, "description": "Events with a greater seq (nextAfter of the previous page)"},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": crate::streams::MAX_EVENTS_LIMIT, "default": crate::streams::DEFAULT_EVENTS_LIMIT}},
                    token_param.clone()],
                "responses": log_responses
            }},
            "/v1/matches/{id}/tokens": {"post": {
                "operationId": "createStreamToken",
                "summary": "Issue a short-lived player token for this match's streams (STREAM_TOKEN_SECRET)",
                "parameters": [job_id_param("match")],
                "requestBody": body("TokenRequest", json!({"playerId": "ada", "ttlSec": 3600})),
                "responses": token_responses
            }},
            "/v1/matches/{id}/stream": {"get": {
                "operationId": "streamMatch",
                "summary": "Follow a match live over Server-Sent Events (docs/streams.md)",
                "description": "Messages: event (id = seq), state, ended (then the server closes). Resume with Last-Event-ID or ?after=. A heartbeat comment every STREAM_HEARTBEAT_MS.",
                "parameters": stream_params.clone(),
                "responses": sse_responses
            }},
            "/v1/matches/{id}/ws": {"get": {
                "operationId": "streamMatchWebSocket",
                "summary": "Follow a match live over a WebSocket, and send a player's own events (docs/streams.md)",
                "parameters": stream_params,
                "responses": ws_responses
            }},
            "/v1/jobs": {"get": {"operationId": "listJobs", "summary": "List this tenant's jobs, newest first", "parameters": page_params(true), "responses": list_responses.clone()}},
            "/v1/jobs/cancel": {"post": {"operationId": "cancelJobs", "summary": "Cancel this tenant's waiting jobs that match a filter, up to limit per call (resume with nextCursor)",
                "requestBody": body("BulkRequest", json!({"filter": {"channel": "email", "createdBefore": "2026-12-01T00:00:00Z"}, "limit": 1000})), "responses": bulk_cancel_responses}},
            "/v1/jobs/{id}": {"get": {"operationId": "getJob", "summary": "One job", "parameters": [job_id_param("job")], "responses": get_responses}},
            "/v1/jobs/{id}/cancel": {"post": {"operationId": "cancelJob", "summary": "Cancel a waiting job", "parameters": [job_id_param("job")], "responses": cancel_responses}},
            "/v1/jobs/{id}/retry": {"post": {"operationId": "retryJob", "summary": "Re-drive a dead job", "parameters": [job_id_param("job")], "responses": retry_responses}},
            "/v1/dead-letters": {"get": {"operationId": "listDeadLetters", "summary": "This tenant's dead jobs, newest first", "parameters": page_params(false), "responses": list_responses}},
            "/v1/dead-letters/retry": {"post": {"operationId": "retryDeadLetters", "summary": "Re-drive this tenant's dead jobs that match a filter, up to limit per call (resume with nextCursor)",
                "requestBody": body("BulkRequest", json!({"filter": {"channel": "webhook", "errorContains": "HTTP 503"}, "limit": 1000})), "responses": bulk_retry_responses}},
            "/v1/queues": {"get": {"operationId": "listQueues", "summary": "This tenant's queues per kind and priority: counts by state and queue lag", "responses": queues_responses}},
            "/v1/workers": {"get": {"operationId": "listWorkers", "summary": "Live workers from the registry", "responses": workers_responses}},
            "/health": {"get": {"operationId": "health", "summary": "Liveness", "security": [], "responses": {"200": {"description": "Up", "content": {"application/json": {"schema": {"type": "object", "required": ["status"], "properties": {"status": {"type": "string", "const": "ok"}}}}}}}}},
            "/ready": {"get": {"operationId": "ready", "summary": "Readiness: store and (unless embedded) broker reachable", "security": [],
                "responses": {"200": json_response("Ready", "Ready"), "503": json_response("Store or broker unreachable", "Ready")}}},
            "/metrics": {"get": {"operationId": "metrics", "summary": "Prometheus metrics", "security": [], "responses": {
                "200": {"description": "Text exposition format", "content": {"text/plain": {"schema": {"type": "string"}}}},
                "500": error_response("The metrics could not be rendered", &["internal"])}}},
            "/openapi.json": {"get": {"operationId": "openapi", "summary": "This document", "security": [], "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {"schema": {"type": "object"}}}}}}}
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "An API key from API_KEYS; it selects the tenant"}},
            "schemas": schemas()
        }
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use herald_core::notification::ValidationError;
    use herald_core::JobStatus;

    use super::*;
    use crate::error::ApiError;

    /// Every error the API can answer, one of each variant (and each 400 code).
    fn every_error() -> Vec<ApiError> {
        let invalid = || ValidationError::new("f", "m");
        vec![
            ApiError::bad_request("malformed_json", "m"),
            ApiError::bad_field("f", "m"),
            ApiError::bad_request("unreadable_body", "m"),
            ApiError::bad_request("invalid_query", "m"),
            ApiError::Unauthorized,
            ApiError::NotFound,
            ApiError::Conflict("m".into()),
            ApiError::PayloadTooLarge { limit: 1 },
            ApiError::RequestTimeout(Duration::from_secs(1)),
            ApiError::UnsupportedMediaType,
            ApiError::Validation(invalid()),
            ApiError::ForbiddenTarget(invalid()),
            ApiError::IdempotencyKeyReused,
            ApiError::MatchEnded(JobStatus::Succeeded),
            ApiError::RateLimited {
                retry_after: Duration::from_secs(1),
            },
            ApiError::Unavailable(anyhow::anyhow!("down")),
            ApiError::Internal(anyhow::anyhow!("bug")),
            ApiError::Forbidden("m".into()),
            ApiError::NotConfigured("m".into()),
            ApiError::StreamsFull {
                retry_after: Duration::from_secs(1),
            },
        ]
    }

    /// The codes the document's responses give for `status`, over every operation.
    fn documented(doc: &Value, status: u16) -> Vec<String> {
        let mut codes = Vec::new();
        for item in doc["paths"]
            .as_object()
            .into_iter()
            .flat_map(|p| p.values())
        {
            for op in item.as_object().into_iter().flat_map(|o| o.values()) {
                let schema =
                    &op["responses"][status.to_string()]["content"]["application/json"]["schema"];
                let enum_ =
                    &schema["allOf"][1]["properties"]["error"]["properties"]["code"]["enum"];
                codes.extend(
                    enum_
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|c| c.as_str())
                        .map(str::to_owned),
                );
            }
        }
        codes
    }

    #[test]
    fn every_error_code_is_documented_under_its_status() {
        let doc = document();
        let all: Vec<&str> = doc["components"]["schemas"]["Error"]["properties"]["error"]
            ["properties"]["code"]["enum"]
            .as_array()
            .map(|v| v.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for error in every_error() {
            let (status, code) = (error.status().as_u16(), error.code());
            assert!(
                all.contains(&code),
                "{code} is not in the Error schema's codes"
            );
            assert!(
                documented(&doc, status).iter().any(|c| c == code),
                "no response documents {status} {code}"
            );
        }
    }

    #[test]
    fn every_operation_has_an_id_and_documents_401_when_authenticated() {
        let doc = document();
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                assert!(
                    op["operationId"].is_string(),
                    "{method} {path} has no operationId"
                );
                let public = op["security"].as_array().is_some_and(Vec::is_empty);
                assert_eq!(
                    op["responses"]["401"].is_object(),
                    !public,
                    "{method} {path}: 401 documented if and only if a key is needed"
                );
            }
        }
    }

    #[test]
    fn links_name_existing_operations() {
        let doc = document();
        let ids: Vec<&str> = doc["paths"]
            .as_object()
            .into_iter()
            .flat_map(|p| p.values())
            .flat_map(|item| item.as_object().into_iter().flat_map(|o| o.values()))
            .filter_map(|op| op["operationId"].as_str())
            .collect();
        let mut links = 0;
        for item in doc["paths"]
            .as_object()
            .into_iter()
            .flat_map(|p| p.values())
        {
            for op in item.as_object().into_iter().flat_map(|o| o.values()) {
                for response in op["responses"]
                    .as_object()
                    .into_iter()
                    .flat_map(|r| r.values())
                {
                    for link in response["links"]
                        .as_object()
                        .into_iter()
                        .flat_map(|l| l.values())
                    {
                        let target = link["operationId"].as_str().unwrap_or("");
                        assert!(ids.contains(&target), "a link to unknown {target}");
                        links += 1;
                    }
                }
            }
        }
        assert!(
            links >= 20,
            "create, get, cancel, retry and events are linked ({links})"
        );
    }
}
