// Starts and stops a throwaway `latchkey dev` server for one test file, and
// drives the latchkey CLI (vault create, token issue/revoke) against its store.
//
// Every server gets its own temporary data directory and a free port chosen by
// the server itself (--port 0). The process is always stopped: by the test
// file's `after` hook, and as a last resort by a process 'exit' handler, so a
// failing or crashing test file never leaves a server behind.

import { spawn, execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** Repository root: compat/js/test/support -> ../../../.. */
export const REPO_ROOT = path.resolve(HERE, "..", "..", "..", "..");

/** The latchkey binary: $LATCHKEY_BIN, else target/debug/latchkey (relative paths are taken from the repo root). */
export function latchkeyBin() {
  const configured = process.env.LATCHKEY_BIN || "target/debug/latchkey";
  return path.isAbsolute(configured) ? configured : path.resolve(REPO_ROOT, configured);
}

const READY_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 5_000;

/** Servers started by this process that have not been stopped yet. */
const live = new Set();

process.on("exit", () => {
  for (const srv of live) {
    try {
      srv.child.kill("SIGKILL");
    } catch {
      /* already gone */
    }
    try {
      rmSync(srv.dir, { recursive: true, force: true });
    } catch {
      /* best effort */
    }
  }
});
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.once(sig, () => process.exit(130));
}

/**
 * Spawn `latchkey dev --data-dir <tmp> --port 0` and wait for its three ready lines.
 * @returns {Promise<LatchkeyServer>}
 */
export async function startLatchkey({ label = "compat" } = {}) {
  const bin = latchkeyBin();
  if (!existsSync(bin)) {
    throw new Error(`latchkey binary not found at ${bin}; build it or set LATCHKEY_BIN`);
  }
  const dir = mkdtempSync(path.join(tmpdir(), `latchkey-js-${label}-`));
  const env = { ...process.env };
  // Make sure nothing from the caller's environment redirects the CLI elsewhere.
  delete env.OP_SESSION;
  delete env.LATCHKEY_DATA_DIR;
  delete env.LATCHKEY_PASSPHRASE_FILE;
  delete env.LATCHKEY_PASSPHRASE;

  const child = spawn(bin, ["dev", "--data-dir", dir, "--port", "0"], {
    stdio: ["ignore", "pipe", "pipe"],
    env,
  });
  const srv = new LatchkeyServer(child, dir, env);
  live.add(srv);

  // Record the pid so that compat/run-js.sh can clean up even if this process dies hard.
  if (process.env.LATCHKEY_COMPAT_PIDDIR) {
    try {
      writeFileSync(path.join(process.env.LATCHKEY_COMPAT_PIDDIR, `${child.pid}.pid`), `${child.pid}\n${dir}\n`);
    } catch {
      /* best effort */
    }
  }

  let stdout = "";
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (d) => {
    stderr += d;
    srv.stderr = stderr.slice(-20_000);
  });
  child.stdout.setEncoding("utf8");

  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`latchkey dev not ready after ${READY_TIMEOUT_MS} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`)),
        READY_TIMEOUT_MS,
      );
      const onExit = (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`latchkey dev exited early (code ${code}, signal ${signal})\nstdout:\n${stdout}\nstderr:\n${stderr}`));
      };
      child.once("exit", onExit);
      child.stdout.on("data", (d) => {
        stdout += d;
        const host = /^export OP_CONNECT_HOST=(\S+)$/m.exec(stdout);
        const token = /^export OP_CONNECT_TOKEN=(\S+)$/m.exec(stdout);
        const banner = /^# latchkey dev: ready in \d+ ms; data in (.+)$/m.exec(stdout);
        if (host && token && banner) {
          clearTimeout(timer);
          child.off("exit", onExit);
          srv.host = host[1];
          srv.token = token[1];
          srv.banner = banner[0];
          srv.bannerDataDir = banner[1];
          resolve();
        }
      });
    });
  } catch (err) {
    await srv.stop();
    throw err;
  }
  srv.stdout = stdout;
  return srv;
}

export class LatchkeyServer {
  constructor(child, dir, env) {
    this.child = child;
    this.dir = dir;
    this.env = env;
    this.host = "";
    this.token = "";
    this.stderr = "";
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => resolve({ code, signal }));
    });
  }

  get credentials() {
    return path.join(this.dir, "credentials.json");
  }

  get dataDir() {
    return path.join(this.dir, "data");
  }

  /** Run a latchkey CLI subcommand against this server's store; resolves to trimmed stdout. */
  async cli(...args) {
    const [group, verb, ...rest] = args;
    const full = [group, verb, "--credentials", this.credentials, "--data-dir", this.dataDir, ...rest];
    try {
      const { stdout } = await execFileAsync(latchkeyBin(), full, { env: this.env, timeout: 15_000 });
      return stdout.trim();
    } catch (err) {
      throw new Error(`latchkey ${full.join(" ")} failed: ${err.message}\n${err.stderr || ""}`);
    }
  }

  /** `latchkey vault create NAME` -> the new vault id. */
  async createVault(name) {
    const out = await this.cli("vault", "create", name);
    const id = out.split(/\s+/).find((w) => /^[a-z0-9]{26}$/.test(w));
    if (!id) throw new Error(`vault create printed no id: ${JSON.stringify(out)}`);
    return id;
  }

  /**
   * `latchkey token issue --name N --vault V:perm ...` -> the JWT.
   * @param {string} name
   * @param {string[]} vaults e.g. ["Demo:rw", "<id>:r"]
   * @param {{expiresIn?: string}} [opts]
   */
  async issueToken(name, vaults, opts = {}) {
    const args = ["token", "issue", "--name", name];
    for (const v of vaults) args.push("--vault", v);
    if (opts.expiresIn) args.push("--expires-in", opts.expiresIn);
    const out = await this.cli(...args);
    const jwt = out.split(/\s+/).find((w) => /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(w));
    if (!jwt) throw new Error(`token issue printed no JWT: ${JSON.stringify(out)}`);
    return jwt;
  }

  async revokeToken(jtiOrName) {
    return this.cli("token", "revoke", jtiOrName);
  }

  /** SIGTERM, then SIGKILL after a grace period; removes the data directory. Idempotent. */
  async stop() {
    if (!live.has(this)) return this.exited;
    live.delete(this);
    let result;
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill("SIGTERM");
      let timer;
      const timeout = new Promise((resolve) => {
        timer = setTimeout(() => resolve(null), STOP_GRACE_MS);
      });
      result = await Promise.race([this.exited, timeout]);
      clearTimeout(timer);
      if (result === null) {
        process.stderr.write(`warning: latchkey (pid ${this.child.pid}) ignored SIGTERM for ${STOP_GRACE_MS} ms; killing\n`);
        this.child.kill("SIGKILL");
        result = await this.exited;
      }
    } else {
      result = await this.exited;
    }
    if (process.env.LATCHKEY_COMPAT_PIDDIR) {
      rmSync(path.join(process.env.LATCHKEY_COMPAT_PIDDIR, `${this.child.pid}.pid`), { force: true });
    }
    rmSync(this.dir, { recursive: true, force: true });
    return result;
  }
}

/** Decode a JWT's claims without verifying it (to read the jti). */
export function jwtClaims(jwt) {
  const payload = jwt.split(".")[1];
  return JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
}
