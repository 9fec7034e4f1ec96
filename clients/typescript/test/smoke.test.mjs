// Smoke test against a live API: HERALD_URL and HERALD_API_KEY (scripts/contract.sh
// starts one). Each step asserts the answer the document promises.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";
import { createHeraldClient } from "../dist/index.js";

const baseUrl = process.env.HERALD_URL;
const apiKey = process.env.HERALD_API_KEY;
if (!baseUrl || !apiKey) throw new Error("set HERALD_URL and HERALD_API_KEY (scripts/contract.sh typescript does)");
const herald = createHeraldClient({ baseUrl, apiKey });

test("a notification: create with a key, replay, read, list, cancel", async () => {
  const key = `ts-smoke-${randomUUID()}`;
  const sendAt = new Date(Date.now() + 3600_000).toISOString();
  const body = { channel: "log", recipient: { address: "ts-smoke" }, body: "hello from TypeScript", sendAt };
  const params = { header: { "Idempotency-Key": key } };

  const created = await herald.POST("/v1/notifications", { body, params });
  assert.equal(created.response.status, 202, JSON.stringify(created.error));
  assert.equal(created.data?.status, "scheduled");
  const id = created.data.id;

  const replayed = await herald.POST("/v1/notifications", { body, params });
  assert.equal(replayed.response.status, 200);
  assert.equal(replayed.data?.id, id);

  const job = await herald.GET("/v1/jobs/{id}", { params: { path: { id } } });
  assert.equal(job.response.status, 200);
  // Keys are stored in their route's namespace (docs/api.md, Idempotency).
  assert.equal(job.data?.idempotencyKey, `notification/${key}`);
  assert.equal(job.data?.payload.body, "hello from TypeScript");

  const page = await herald.GET("/v1/jobs", { params: { query: { status: "scheduled", kind: "notification", limit: 50 } } });
  assert.equal(page.response.status, 200);
  assert.ok(page.data?.items.some((j) => j.id === id), "the new job is listed");

  const cancelled = await herald.POST("/v1/jobs/{id}/cancel", { params: { path: { id } } });
  assert.equal(cancelled.response.status, 200);
  assert.equal(cancelled.data?.status, "cancelled");

  const again = await herald.POST("/v1/jobs/{id}/cancel", { params: { path: { id } } });
  assert.equal(again.response.status, 409);
  assert.equal(again.error?.error.code, "invalid_state");
});

test("a refused notification carries a code and the field", async () => {
  const refused = await herald.POST("/v1/notifications", {
    body: { channel: "sms", recipient: { address: "+1" }, body: "x" },
  });
  assert.equal(refused.response.status, 422);
  assert.equal(refused.error?.error.code, "validation_failed");
  assert.equal(refused.error?.error.field, "recipient.address");
});

test("a match: create, post events, read its state", async () => {
  const created = await herald.POST("/v1/matches", {
    body: {
      type: "scoreboard",
      durationSec: 600,
      players: [
        { id: "ada", notify: { channel: "log", recipient: { address: "ada" } } },
        { id: "bob", notify: { channel: "log", recipient: { address: "bob" } } },
      ],
    },
  });
  assert.equal(created.response.status, 202, JSON.stringify(created.error));
  const id = created.data.id;
  const path = { path: { id } };

  const join = await herald.POST("/v1/matches/{id}/events", { params: path, body: { type: "join", playerId: "ada" } });
  assert.equal(join.response.status, 202, JSON.stringify(join.error));
  assert.equal(join.data?.seq, 1);
  const score = await herald.POST("/v1/matches/{id}/events", {
    params: { ...path, header: { "Idempotency-Key": `ts-score-${randomUUID()}` } },
    body: { type: "score", playerId: "ada", points: 3 },
  });
  assert.equal(score.response.status, 202);
  assert.equal(score.data?.seq, 2);

  const view = await herald.GET("/v1/matches/{id}", { params: path });
  assert.equal(view.response.status, 200);
  assert.equal(view.data?.lastSeq, 2);
  assert.deepEqual(view.data?.players.map((p) => p.id), ["ada", "bob"]);
});
