// The Herald API client: openapi-fetch over the types openapi-typescript generates
// from docs/openapi.json (src/schema.d.ts; `npm run generate` rewrites it, and
// `npm run check-generated` fails when it differs from the document).
//
// Hand-written here: only the key-to-header wiring. The live-match streams (SSE and
// WebSocket) are not in the API yet; they will get a thin layer here,
// as openapi-fetch does not read streams.
import createClient, { type Client, type ClientOptions } from "openapi-fetch";
import type { components, operations, paths } from "./schema.js";

export type { components, operations, paths };
export type Schemas = components["schemas"];
export type Notification = Schemas["Notification"];
export type Match = Schemas["Match"];
export type MatchEvent = Schemas["MatchEvent"];
export type Job = Schemas["Job"];
export type MatchView = Schemas["MatchView"];
export type ApiError = Schemas["Error"];

export interface HeraldOptions extends Omit<ClientOptions, "baseUrl"> {
  /** The API's base URL, e.g. http://127.0.0.1:3000 */
  baseUrl: string;
  /** An API key from the API's API_KEYS; it selects the tenant. */
  apiKey: string;
}

export type HeraldClient = Client<paths>;

/** A typed client: `client.POST("/v1/notifications", { body })` returns `{ data, error, response }`. */
export function createHeraldClient({ baseUrl, apiKey, headers, ...rest }: HeraldOptions): HeraldClient {
  return createClient<paths>({
    ...rest,
    baseUrl: baseUrl.replace(/\/+$/, ""),
    headers: { ...(headers as Record<string, string> | undefined), Authorization: `Bearer ${apiKey}` },
  });
}
