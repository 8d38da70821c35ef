// Small shared helpers: an RFC 6238 TOTP reference implementation, rejection
// checks for the SDK's error contract, and a client factory.

import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { createRequire } from "node:module";
import { writeFileSync } from "node:fs";
import path from "node:path";

const require = createRequire(import.meta.url);
/** The SDK, loaded the way a CommonJS consumer would load it. */
export const sdk = require("@1password/connect");

// ------------------------------------------------------------ coverage ----
// Every OPConnect method a test calls is recorded; when LATCHKEY_COMPAT_COVERAGE
// names a directory (compat/run-js.sh sets it), each test process writes its
// set there, and run-js.sh checks that together they cover the SDK's surface.

const called = new Set();
process.on("exit", () => {
  const dir = process.env.LATCHKEY_COMPAT_COVERAGE;
  if (!dir || called.size === 0) return;
  try {
    writeFileSync(path.join(dir, `methods-${process.pid}.json`), JSON.stringify([...called].sort()));
  } catch {
    /* best effort */
  }
});

/** Public method names of the client returned by OnePasswordConnect(). */
export function clientMethodNames() {
  return Object.getOwnPropertyNames(sdk.OPConnect.prototype).filter(
    (n) => n !== "constructor" && typeof sdk.OPConnect.prototype[n] === "function",
  );
}

/** A client configured exactly as the SDK documents it (keep-alive on unless overridden); calls are recorded. */
export function connect(host, token, extra = {}) {
  const client = sdk.OnePasswordConnect({ serverURL: host, token, keepAlive: true, ...extra });
  return new Proxy(client, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof prop === "string" && typeof value === "function" && Object.hasOwn(sdk.OPConnect.prototype, prop)) {
        return (...args) => {
          called.add(prop);
          return value.apply(target, args);
        };
      }
      return value;
    },
  });
}

export const ID_RE = /^[a-z0-9]{26}$/;

// ---------------------------------------------------------------- TOTP ----

const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** RFC 4648 base32 decoding (case-insensitive, padding and spaces ignored). */
export function base32Decode(text) {
  const clean = text.toUpperCase().replace(/[\s=]/g, "");
  let bits = 0;
  let acc = 0;
  const out = [];
  for (const ch of clean) {
    const v = B32.indexOf(ch);
    if (v < 0) throw new Error(`invalid base32 character ${JSON.stringify(ch)}`);
    acc = (acc << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >>> bits) & 0xff);
    }
  }
  return Buffer.from(out);
}

/** RFC 4226 HOTP. */
export function hotp(key, counter, digits = 6, algorithm = "sha1") {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(algorithm, key).update(msg).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const bin = ((mac[offset] & 0x7f) << 24) | (mac[offset + 1] << 16) | (mac[offset + 2] << 8) | mac[offset + 3];
  return String(bin % 10 ** digits).padStart(digits, "0");
}

/** Parse an otpauth://totp URI into its TOTP parameters. */
export function parseOtpauth(uri) {
  const u = new URL(uri);
  assert.equal(u.protocol, "otpauth:");
  const secret = u.searchParams.get("secret");
  assert.ok(secret, `otpauth URI without secret: ${uri}`);
  return {
    key: base32Decode(secret),
    digits: Number(u.searchParams.get("digits") || 6),
    period: Number(u.searchParams.get("period") || 30),
    algorithm: (u.searchParams.get("algorithm") || "SHA1").toLowerCase(),
  };
}

/** RFC 6238 TOTP codes for the time steps around `atMs` (offsets -1, 0, +1). */
export function totpWindow(uri, atMs = Date.now()) {
  const { key, digits, period, algorithm } = parseOtpauth(uri);
  const step = Math.floor(atMs / 1000 / period);
  return [step - 1, step, step + 1].map((c) => hotp(key, c, digits, algorithm));
}

// ------------------------------------------------------------- errors ----

/**
 * Await `promise`, expect it to reject with the server's (or the SDK's
 * synthetic) `{status, message}` object, and return that object. `status`
 * is a number, or an array of acceptable numbers.
 *
 * The SDK's axios interceptor rejects with `error.response.data`, so a
 * well-behaved server yields a plain object, never an Error or a string.
 */
export async function rejectsWithStatus(promise, status, messageRe) {
  let settled;
  try {
    settled = await promise;
  } catch (err) {
    assert.ok(
      err !== null && typeof err === "object" && !(err instanceof Error),
      `expected a {status, message} object, got ${describe(err)}`,
    );
    assert.equal(typeof err.status, "number", `status not a number in ${describe(err)}`);
    assert.equal(typeof err.message, "string", `message not a string in ${describe(err)}`);
    assert.ok(err.message.length > 0, `empty message in ${describe(err)}`);
    if (Array.isArray(status)) {
      assert.ok(status.includes(err.status), `expected a status in ${status}, got ${describe(err)}`);
    } else {
      assert.equal(err.status, status, `expected status ${status}, got ${describe(err)}`);
    }
    if (messageRe) assert.match(err.message, messageRe, `unexpected message in ${describe(err)}`);
    return err;
  }
  assert.fail(`expected a rejection with status ${status}, but it resolved to ${describe(settled)}`);
}

export function describe(value) {
  if (value instanceof Error) {
    const code = value.code ? ` [${value.code}]` : "";
    const status = value.response ? ` (HTTP ${value.response.status})` : "";
    return `${value.constructor.name}: ${value.message}${code}${status}`;
  }
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

/** Poll `fn` until it returns truthy or `ms` elapse; returns the elapsed time or throws. */
export async function waitFor(fn, ms, intervalMs = 50) {
  const start = Date.now();
  for (;;) {
    if (await fn()) return Date.now() - start;
    if (Date.now() - start > ms) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export function fieldByLabel(item, label) {
  const f = (item.fields || []).find((x) => x.label === label);
  assert.ok(f, `item ${item.title} has no field labelled ${JSON.stringify(label)}; labels: ${(item.fields || []).map((x) => x.label).join(", ")}`);
  return f;
}

export function uniqueTitle(prefix) {
  return `${prefix} ${Date.now().toString(36)}${Math.random().toString(36).slice(2, 7)}`;
}
