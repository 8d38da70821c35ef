// The server process as the suite uses it: `latchkey dev` prints its ready
// lines, serves the SDK, and stops promptly on SIGTERM even while the SDK's
// keep-alive connections are open (so no server is ever left behind).

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import { startLatchkey } from "./support/server.mjs";
import { connect } from "./support/util.mjs";

describe("latchkey dev lifecycle", () => {
  it("prints the three ready lines and creates its store", async () => {
    const srv = await startLatchkey({ label: "life1" });
    try {
      const lines = srv.stdout.trimEnd().split("\n");
      assert.equal(lines.length, 3, `stdout: ${srv.stdout}`);
      assert.match(lines[0], /^# latchkey dev: ready in \d+ ms; data in .+$/);
      assert.equal(path.resolve(srv.bannerDataDir), path.resolve(srv.dir));
      assert.match(lines[1], /^export OP_CONNECT_HOST=http:\/\/127\.0\.0\.1:\d+$/);
      assert.match(lines[2], /^export OP_CONNECT_TOKEN=[\w-]+\.[\w-]+\.[\w-]+$/);
      assert.ok(existsSync(path.join(srv.dir, "credentials.json")));
      assert.ok(existsSync(path.join(srv.dir, "data", "1password.sqlite")));
    } finally {
      await srv.stop();
    }
  });

  it("exits within 3 s of SIGTERM with keep-alive SDK connections open, and the port closes", async () => {
    const srv = await startLatchkey({ label: "life2" });
    let stopped = false;
    try {
      const op = connect(srv.host, srv.token, { keepAlive: true });
      const [vault] = await op.listVaults();
      await Promise.all([op.listItems(vault.id), op.getItemByTitle(vault.id, "Example Login"), op.getItemOTP(vault.id, "API Token")]);
      const t0 = Date.now();
      srv.child.kill("SIGTERM");
      let timer;
      const result = await Promise.race([srv.exited, new Promise((r) => (timer = setTimeout(() => r(null), 3000)))]);
      clearTimeout(timer);
      assert.ok(result, "the server did not exit within 3 s of SIGTERM");
      stopped = true;
      assert.ok(result.code === 0 || result.signal === "SIGTERM", `exit ${JSON.stringify(result)}`);
      assert.ok(Date.now() - t0 < 3000);
      await assert.rejects(fetch(`${srv.host}/heartbeat`), "nothing listens on the port any more");
    } finally {
      await srv.stop();
      assert.ok(stopped || srv.child.exitCode !== null || srv.child.signalCode !== null);
    }
  });

  it("two servers run side by side, each on its own port and data dir", async () => {
    const [a, b] = await Promise.all([startLatchkey({ label: "life3a" }), startLatchkey({ label: "life3b" })]);
    try {
      assert.notEqual(a.host, b.host);
      assert.notEqual(a.dir, b.dir);
      assert.equal((await connect(a.host, a.token).listVaults()).length, 1);
      assert.equal((await connect(b.host, b.token).listVaults()).length, 1);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
