//! The OpenAPI document against the live API: every bound the document states for a
//! request (maxLength, minimum/maximum, maxItems) is read from the served document and
//! tried at the bound (accepted) and one past it (refused), so a constant changed in
//! the validation and not in the document — or the other way round — fails here.
//! Then the regressions Schemathesis found (docs/contract-testing.md).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod harness;

use harness::*;
use serde_json::{json, Value};

async fn document(h: &Harness) -> Value {
    h.http
        .get(h.endpoint("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn schema<'a>(doc: &'a Value, name: &str) -> &'a Value {
    let s = &doc["components"]["schemas"][name];
    assert!(s.is_object(), "no schema {name}");
    s
}

fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("not an integer: {v}"))
}

async fn status_of(h: &Harness, path: &str, body: &Value) -> u16 {
    h.post_json(path, ACME_KEY, body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// A valid notification of `channel`, with `body`.
fn base(channel: &str) -> Value {
    let address = match channel {
        "webhook" => "https://example.com/hook",
        "email" => "ada@example.com",
        "sms" => "+14155550123",
        "push" => "device-token",
        _ => "label",
    };
    json!({"channel": channel, "recipient": {"address": address}, "body": "hi"})
}

#[tokio::test]
async fn every_stated_bound_of_a_notification_is_the_validations() {
    let h = Harness::start("contract-bounds").await;
    let doc = document(&h).await;
    for channel in ["log", "webhook", "email", "sms", "push"] {
        let mut title: Vec<char> = channel.chars().collect();
        title[0] = title[0].to_ascii_uppercase();
        let title: String = title.into_iter().collect();
        let forms = &schema(&doc, &format!("{title}Notification"))["oneOf"];
        assert_eq!(
            forms.as_array().map(Vec::len),
            Some(2),
            "{channel}: body or template"
        );
        let with_body = &schema(&doc, &format!("{title}BodyNotification"))["properties"];
        let with_template = &schema(&doc, &format!("{title}TemplateNotification"))["properties"];
        assert_eq!(with_body["channel"]["const"], channel);
        assert!(with_body["template"].is_null() && with_body["data"].is_null());
        assert!(with_template["body"].is_null());
        for (props, field) in [
            (with_body, "subject"),
            (with_body, "body"),
            (with_template, "template"),
        ] {
            let max = int(&props[field]["maxLength"]) as usize;
            let min = int(&props[field]["minLength"]) as usize;
            let with = |n: usize| {
                let mut v = base(channel);
                if field == "template" {
                    v.as_object_mut().unwrap().remove("body");
                }
                v[field] = json!("x".repeat(n));
                v
            };
            let at = status_of(&h, "/v1/notifications", &with(max)).await;
            assert_eq!(at, 202, "{channel}.{field} of {max} (the stated maxLength)");
            let past = status_of(&h, "/v1/notifications", &with(max + 1)).await;
            assert_eq!(
                past,
                422,
                "{channel}.{field} of {} (past maxLength)",
                max + 1
            );
            let under = status_of(&h, "/v1/notifications", &with(min - 1)).await;
            assert_eq!(under, 422, "{channel}.{field} under minLength");
        }
        let attempts = &with_body["maxAttempts"];
        assert_eq!(attempts, &with_template["maxAttempts"]);
        for (n, ok) in [
            (int(&attempts["minimum"]), true),
            (int(&attempts["maximum"]), true),
            (int(&attempts["minimum"]) - 1, false),
            (int(&attempts["maximum"]) + 1, false),
        ] {
            let mut v = base(channel);
            v["maxAttempts"] = json!(n);
            let status = status_of(&h, "/v1/notifications", &v).await;
            assert_eq!(status == 202, ok, "{channel} maxAttempts {n}: {status}");
        }
        let address = &schema(&doc, &format!("{title}Recipient"))["properties"]["address"];
        let mut empty = base(channel);
        empty["recipient"]["address"] = json!("");
        assert_eq!(int(&address["minLength"]), 1);
        assert_eq!(status_of(&h, "/v1/notifications", &empty).await, 422);
        let mut long = base(channel);
        long["recipient"]["address"] = json!("x".repeat(int(&address["maxLength"]) as usize + 1));
        assert_eq!(status_of(&h, "/v1/notifications", &long).await, 422);

        // The two forms are closed objects: neither admits the other's fields.
        let mut both = base(channel);
        both["template"] = json!("welcome");
        assert_eq!(
            status_of(&h, "/v1/notifications", &both).await,
            422,
            "{channel}: both"
        );
        let mut data_with_body = base(channel);
        data_with_body["data"] = json!({"a": 1});
        assert_eq!(
            status_of(&h, "/v1/notifications", &data_with_body).await,
            422
        );
        let mut neither = base(channel);
        neither.as_object_mut().unwrap().remove("body");
        assert_eq!(status_of(&h, "/v1/notifications", &neither).await, 422);
    }
    h.finish().await;
}

#[tokio::test]
async fn the_stated_limits_of_batches_matches_and_pages_are_the_validations() {
    let h = Harness::start("contract-limits").await;
    let doc = document(&h).await;

    let max_batch = int(&schema(&doc, "Batch")["properties"]["notifications"]["maxItems"]);
    let batch = |n: i64| json!({"notifications": vec![base("log"); n as usize]});
    assert_eq!(
        status_of(&h, "/v1/notifications/batch", &batch(max_batch)).await,
        202
    );
    assert_eq!(
        status_of(&h, "/v1/notifications/batch", &batch(max_batch + 1)).await,
        422
    );
    assert_eq!(
        status_of(&h, "/v1/notifications/batch", &batch(0)).await,
        422
    );

    let m = &schema(&doc, "Match")["properties"];
    let players = |n: i64| -> Vec<Value> {
        (0..n)
            .map(|i| json!({"id": format!("p{i}"), "notify": {"channel": "log", "recipient": {"address": "x"}}}))
            .collect()
    };
    let a_match = |n: i64, duration: i64| json!({"type": "scoreboard", "players": players(n), "durationSec": duration});
    let max_players = int(&m["players"]["maxItems"]);
    let max_duration = int(&m["durationSec"]["maximum"]);
    assert_eq!(
        status_of(&h, "/v1/matches", &a_match(max_players, max_duration)).await,
        202
    );
    assert_eq!(
        status_of(&h, "/v1/matches", &a_match(max_players + 1, 60)).await,
        422
    );
    assert_eq!(
        status_of(&h, "/v1/matches", &a_match(1, max_duration + 1)).await,
        422
    );
    assert_eq!(status_of(&h, "/v1/matches", &a_match(1, 0)).await, 422);
    let max_id = int(&schema(&doc, "Player")["properties"]["id"]["maxLength"]) as usize;
    for (len, ok) in [(max_id, 202), (max_id + 1, 422)] {
        let mut v = a_match(1, 60);
        v["players"][0]["id"] = json!("p".repeat(len));
        assert_eq!(
            status_of(&h, "/v1/matches", &v).await,
            ok,
            "player id of {len}"
        );
    }

    let limit = doc["paths"]["/v1/jobs"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "limit")
        .unwrap()["schema"]
        .clone();
    for (n, ok) in [
        (int(&limit["maximum"]), 200),
        (int(&limit["maximum"]) + 1, 400),
        (int(&limit["minimum"]) - 1, 400),
    ] {
        let r = h
            .get(&format!("/v1/jobs?limit={n}"), ACME_KEY)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), ok, "limit={n}");
    }

    let key = &doc["paths"]["/v1/notifications"]["post"]["parameters"][0]["schema"];
    let max_key = int(&key["maxLength"]) as usize;
    for (len, ok) in [(max_key, 202), (max_key + 1, 422)] {
        let r = h
            .post_json("/v1/notifications", ACME_KEY, &base("log"))
            .header("Idempotency-Key", "k".repeat(len))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), ok, "Idempotency-Key of {len}");
    }
    h.finish().await;
}

/// Schemathesis: `maxAttempts: 23.0` is an integer to JSON Schema, and was refused.
#[tokio::test]
async fn integral_numbers_are_integers_and_null_is_not_absent() {
    let h = Harness::start("contract-numbers").await;
    let mut v = base("log");
    v["maxAttempts"] = json!(23.0);
    let r = h
        .post_json("/v1/notifications", ACME_KEY, &v)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let id = body(r).await["id"].as_str().unwrap().to_owned();
    let job = body(
        h.get(&format!("/v1/jobs/{id}"), ACME_KEY)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(job["maxAttempts"], 23);
    v["maxAttempts"] = json!(2.5);
    let (status, code, field) = error_of(
        h.post_json("/v1/notifications", ACME_KEY, &v)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, code.as_str(), field.as_deref()),
        (400, "invalid_field", Some("maxAttempts"))
    );

    let a_match = json!({"type": "scoreboard", "durationSec": 60.0, "players": [
        {"id": "ada", "notify": {"channel": "log", "recipient": {"address": "x"}}}]});
    let r = h
        .post_json("/v1/matches", ACME_KEY, &a_match)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let match_id = body(r).await["id"].as_str().unwrap().to_owned();
    let event = json!({"type": "score", "playerId": "ada", "points": 3.0});
    let r = h
        .post_json(&format!("/v1/matches/{match_id}/events"), ACME_KEY, &event)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);

    // null was read as absent, which the document does not allow.
    for field in ["metadata", "subject", "sendAt", "maxAttempts", "priority"] {
        let mut v = base("log");
        v[field] = Value::Null;
        let (status, code, got) = error_of(
            h.post_json("/v1/notifications", ACME_KEY, &v)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(
            (status, code.as_str()),
            (400, "invalid_field"),
            "{field}: null"
        );
        assert_eq!(got.as_deref(), Some(field));
    }
    h.finish().await;
}

/// Schemathesis: a match's key replayed as a notification answered 200 with the
/// match's id (keys are now namespaced by route, so it is a new notification); ids the
/// `uuid` format refuses were read as ids.
#[tokio::test]
async fn keys_of_another_kind_and_ids_that_are_not_uuids() {
    let h = Harness::start("contract-keys").await;
    let a_match = json!({"type": "scoreboard", "durationSec": 60, "players": [
        {"id": "ada", "notify": {"channel": "log", "recipient": {"address": "x"}}}]});
    let r = h
        .post_json("/v1/matches", ACME_KEY, &a_match)
        .header("Idempotency-Key", "shared-key")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let id = body(r).await["id"].as_str().unwrap().to_owned();
    let r = h
        .post_json("/v1/notifications", ACME_KEY, &base("log"))
        .header("Idempotency-Key", "shared-key")
        .send()
        .await
        .unwrap();
    // Keys are namespaced by route (DESIGN §13): the notification is a new job.
    assert_eq!(r.status(), 202);
    assert_ne!(body(r).await["id"], id.as_str());

    for form in [
        id.replace('-', ""),
        format!("{{{id}}}"),
        format!("urn:uuid:{id}"),
    ] {
        let r = h
            .get(&format!("/v1/jobs/{form}"), ACME_KEY)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{form}");
    }
    let r = h
        .get(&format!("/v1/jobs/{}", id.to_uppercase()), ACME_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "a UUID in capitals is the same id");
    h.finish().await;
}

/// The four rules the document states only in words (docs/contract-testing.md), and
/// that Schemathesis's hooks therefore keep out of its positive cases: each is a 422
/// naming its field.
#[tokio::test]
async fn the_rules_json_schema_cannot_state_are_422s() {
    let h = Harness::start("contract-unstated").await;
    let refused = |body: Value, path: &str| {
        let request = h.post_json(path, ACME_KEY, &body);
        async move {
            let (status, code, field) = error_of(request.send().await.unwrap()).await;
            assert_eq!(
                (status, code.as_str()),
                (422, "validation_failed"),
                "{body}"
            );
            field.unwrap_or_default()
        }
    };
    let player =
        |id: &str| json!({"id": id, "notify": {"channel": "log", "recipient": {"address": "x"}}});
    let twice =
        json!({"type": "scoreboard", "durationSec": 60, "players": [player("ada"), player("ada")]});
    let mut other = player("ada");
    other["notify"]["recipient"]["address"] = json!("y");
    let same_id =
        json!({"type": "scoreboard", "durationSec": 60, "players": [player("ada"), other]});
    assert_eq!(refused(twice, "/v1/matches").await, "players[1].id");
    assert_eq!(refused(same_id, "/v1/matches").await, "players[1].id");

    let mut quiet = base("log");
    quiet["quietHours"] = json!({"start": "08:00", "end": "08:00"});
    assert_eq!(refused(quiet, "/v1/notifications").await, "quietHours");
    let mut far = base("log");
    let later = chrono::Utc::now() + chrono::Duration::days(367);
    far["sendAt"] = json!(later.to_rfc3339());
    assert_eq!(refused(far, "/v1/notifications").await, "sendAt");

    let a_match = json!({"type": "scoreboard", "durationSec": 60, "players": [player("ada")]});
    let r = h
        .post_json("/v1/matches", ACME_KEY, &a_match)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let id = body(r).await["id"].as_str().unwrap().to_owned();
    let stranger = json!({"type": "join", "playerId": "bob"});
    let events = format!("/v1/matches/{id}/events");
    assert_eq!(refused(stranger, &events).await, "playerId");
    h.finish().await;
}
