// Fails when the committed generated file differs from a fresh generation.
import { readFileSync, rmSync } from "node:fs";
const [committed, fresh] = process.argv.slice(2);
const same = readFileSync(committed, "utf8") === readFileSync(fresh, "utf8");
rmSync(fresh);
if (!same) {
  console.error(`${committed} is stale: run \`npm run generate\` (the OpenAPI document changed)`);
  process.exit(1);
}
console.log(`${committed} matches docs/openapi.json`);
