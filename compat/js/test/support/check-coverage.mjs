// Usage: node check-coverage.mjs DIR
// Reads the methods-<pid>.json files the test processes wrote into DIR and
// checks that, together, they called every method of the SDK client.
// Exit status 0 when every method was called, 1 otherwise.

import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { CLIENT_METHODS } from "./surface.mjs";

const dir = process.argv[2];
if (!dir) {
  console.error("usage: check-coverage.mjs DIR");
  process.exit(2);
}

const called = new Set();
for (const name of readdirSync(dir)) {
  if (!/^methods-\d+\.json$/.test(name)) continue;
  for (const m of JSON.parse(readFileSync(path.join(dir, name), "utf8"))) called.add(m);
}

const missing = CLIENT_METHODS.filter((m) => !called.has(m));
const covered = CLIENT_METHODS.filter((m) => called.has(m));
console.log(`SDK client methods exercised against latchkey: ${covered.length}/${CLIENT_METHODS.length}`);
console.log(`  ${covered.join(", ")}`);
if (missing.length) {
  console.log(`  NOT exercised: ${missing.join(", ")}`);
  process.exit(1);
}
