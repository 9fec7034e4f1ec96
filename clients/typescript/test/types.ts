// Compile-time checks of the generated types (`npm test` runs `tsc` on this file):
// each @ts-expect-error line must be an error, so a document that grew looser than
// the API fails the build.
import type { Notification, MatchEvent } from "../src/index.js";

export const ok: Notification[] = [
  { channel: "sms", recipient: { address: "+14155550123" }, body: "hi" },
  { channel: "email", recipient: { address: "a@b.co", timezone: "Europe/Paris" }, template: "welcome", data: { a: 1 } },
  { channel: "log", recipient: { address: "x" }, body: "hi", maxAttempts: 3, priority: "high" },
];
export const events: MatchEvent[] = [{ type: "join", playerId: "ada" }, { type: "score", playerId: "ada", points: 3 }, { type: "end" }];

// @ts-expect-error an unknown channel
export const fax: Notification = { channel: "fax", recipient: { address: "x" }, body: "hi" };
// @ts-expect-error neither body nor template
export const empty: Notification = { channel: "log", recipient: { address: "x" } };
// (Not caught: `data` beside a `body` — TypeScript checks excess properties against
// the whole union, and `data` is a property of the template form. The API refuses it.)
// @ts-expect-error a time zone the tz database does not have
export const atlantis: Notification = { channel: "log", recipient: { address: "x", timezone: "Europe/Atlantis" }, body: "hi" };
// @ts-expect-error a score event carries points
export const pointless: MatchEvent = { type: "score", playerId: "ada" };
// @ts-expect-error an end event names no player
export const endWithPlayer: MatchEvent = { type: "end", playerId: "ada" };
