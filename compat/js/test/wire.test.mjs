// The exact HTTP exchanges behind each SDK method, seen through a recording
// proxy: the SDK's trailing-slash paths and filter queries must be served,
// with Connect's status codes, headers and JSON error bodies.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { startLatchkey } from "./support/server.mjs";
import { startRecorder } from "./support/recorder.mjs";
import { connect, sdk, uniqueTitle } from "./support/util.mjs";

const { ItemBuilder, ItemCategory, FieldType, FieldPurpose } = sdk;
const VERSION_RE = /^\d+\.\d+\.\d+$/;

describe("wire format of every SDK call", () => {
  let srv;
  let rec;
  let op;
  let vaultId;
  let docId;
  let fileId;

  before(async () => {
    srv = await startLatchkey({ label: "wire" });
    rec = await startRecorder(srv.host);
    op = connect(rec.url, srv.token);
    [{ id: vaultId }] = await connect(srv.host, srv.token).listVaults();
    const doc = await connect(srv.host, srv.token).getItemByTitle(vaultId, "Welcome Document");
    docId = doc.id;
    fileId = doc.files[0].id;
  });

  after(async () => {
    await rec?.close();
    await srv?.stop();
  });

  /** Run `fn` and return [result, [[METHOD, path, status], ...]]. */
  async function exchange(fn) {
    const { value, error, entries } = await rec.during(fn);
    if (error) throw error;
    return [value, entries.map((e) => [e.method, e.path, e.status])];
  }

  // What WHATWG URL makes of the SDK's raw `filter=title eq "…"` (titles here are plain ASCII).
  const q = (t) => t.replaceAll(" ", "%20");
  const eq = (t) => `?filter=title%20eq%20%22${q(t)}%22`;
  const co = (t) => `?filter=title%20co%20%22${q(t)}%22`;

  it("listVaults: GET /v1/vaults/ (trailing slash)", async () => {
    const [, ex] = await exchange(() => op.listVaults());
    assert.deepEqual(ex, [["GET", "/v1/vaults/", 200]]);
  });

  it("listVaultsByTitle / getVaultByTitle: GET /v1/vaults/?filter=title eq \"…\"", async () => {
    const [, ex1] = await exchange(() => op.listVaultsByTitle("Demo"));
    assert.deepEqual(ex1, [["GET", `/v1/vaults/${eq("Demo")}`, 200]]);
    const [, ex2] = await exchange(() => op.getVaultByTitle("Demo"));
    assert.deepEqual(ex2, [["GET", `/v1/vaults/${eq("Demo")}`, 200]]);
  });

  it("getVault / getVaultById: GET /v1/vaults/{id}", async () => {
    const [, ex1] = await exchange(() => op.getVaultById(vaultId));
    assert.deepEqual(ex1, [["GET", `/v1/vaults/${vaultId}`, 200]]);
    const [, ex2] = await exchange(() => op.getVault(vaultId));
    assert.deepEqual(ex2, [["GET", `/v1/vaults/${vaultId}`, 200]]);
  });

  it("listItems: GET /v1/vaults/{v}/items (no slash); summaries carry no fields, sections or files", async () => {
    const { error, entries } = await rec.during(() => op.listItems(vaultId));
    if (error) throw error;
    assert.deepEqual(entries.map((e) => [e.method, e.path, e.status]), [["GET", `/v1/vaults/${vaultId}/items`, 200]]);
    const summaries = JSON.parse(entries[0].body);
    assert.ok(summaries.length >= 5);
    for (const s of summaries) {
      for (const key of ["fields", "sections", "files"]) assert.ok(!(key in s), `summary of ${s.title} has ${key}`);
      for (const key of ["id", "title", "vault", "category", "version", "createdAt", "updatedAt"]) {
        assert.ok(key in s, `summary of ${s.title} lacks ${key}`);
      }
    }
  });

  it("listItemsByTitle: GET /v1/vaults/{v}/items/?filter=title eq, then GET each", async () => {
    const [items, ex] = await exchange(() => op.listItemsByTitle(vaultId, "Example Login"));
    assert.equal(items.length, 1);
    assert.deepEqual(ex, [
      ["GET", `/v1/vaults/${vaultId}/items/${eq("Example Login")}`, 200],
      ["GET", `/v1/vaults/${vaultId}/items/${items[0].id}`, 200],
    ]);
  });

  it("listItemsByTitleContains: GET /v1/vaults/{v}/items/?filter=title co, then GET each", async () => {
    const [items, ex] = await exchange(() => op.listItemsByTitleContains(vaultId, "Wi-F"));
    assert.equal(items.length, 1);
    assert.deepEqual(ex, [
      ["GET", `/v1/vaults/${vaultId}/items/${co("Wi-F")}`, 200],
      ["GET", `/v1/vaults/${vaultId}/items/${items[0].id}`, 200],
    ]);
  });

  it("getItemByTitle / getItem(title) / getItemOTP(title): list with the filter, then GET by id", async () => {
    for (const call of [
      () => op.getItemByTitle(vaultId, "API Token"),
      () => op.getItem(vaultId, "API Token"),
      () => op.getItemOTP(vaultId, "API Token"),
    ]) {
      const [, ex] = await exchange(call);
      assert.equal(ex.length, 2);
      assert.deepEqual(ex[0], ["GET", `/v1/vaults/${vaultId}/items/${eq("API Token")}`, 200]);
      assert.match(ex[1][1], new RegExp(`^/v1/vaults/${vaultId}/items/[a-z0-9]{26}$`));
      assert.equal(ex[1][2], 200);
    }
  });

  it("createItem: POST /v1/vaults/{v}/items/ answers 200 (not 201) with the item", async () => {
    const built = new ItemBuilder()
      .setCategory(ItemCategory.Login)
      .setTitle(uniqueTitle("Wire"))
      .addField({ label: "username", value: "wire", purpose: FieldPurpose.Username })
      .addField({ label: "password", type: FieldType.Concealed, purpose: FieldPurpose.Password, generate: true, recipe: { length: 20 } })
      .build();
    const { value: item, error, entries } = await rec.during(() => op.createItem(vaultId, built));
    if (error) throw error;
    assert.equal(entries.length, 1);
    const [e] = entries;
    assert.equal(e.method, "POST");
    assert.equal(e.path, `/v1/vaults/${vaultId}/items/`);
    assert.equal(e.status, 200);
    const sent = JSON.parse(e.requestBody);
    assert.equal(sent.vault.id, vaultId, "the SDK sets vault.id");
    assert.ok(sent.fields.every((f) => f.purpose !== undefined), "the builder sends purpose on every field");
    assert.equal(sent.fields[1].generate, true);
    assert.equal(JSON.parse(e.body).id, item.id);
  });

  it("updateItem: PUT /v1/vaults/{v}/items/{id} answers 200", async () => {
    const item = await op.getItemByTitle(vaultId, "Wi-Fi");
    item.tags = ["wire"];
    const [, ex] = await exchange(() => op.updateItem(vaultId, item));
    assert.deepEqual(ex, [["PUT", `/v1/vaults/${vaultId}/items/${item.id}`, 200]]);
  });

  it("deleteItemById / deleteItem(id): DELETE /v1/vaults/{v}/items/{id} answers 204 with no body", async () => {
    for (const del of [(id) => op.deleteItemById(vaultId, id), (id) => op.deleteItem(vaultId, id)]) {
      const item = await op.createItem(vaultId, new ItemBuilder().setCategory(ItemCategory.SecureNote).setTitle(uniqueTitle("Wire del")).build());
      const { error, entries } = await rec.during(() => del(item.id));
      if (error) throw error;
      assert.deepEqual(entries.map((e) => [e.method, e.path, e.status]), [["DELETE", `/v1/vaults/${vaultId}/items/${item.id}`, 204]]);
      assert.equal(entries[0].body, "");
    }
  });

  it("deleteItemByTitle: list with the filter, then DELETE by id", async () => {
    const title = uniqueTitle("Wire del title");
    const item = await op.createItem(vaultId, new ItemBuilder().setCategory(ItemCategory.SecureNote).setTitle(title).build());
    const [, ex] = await exchange(() => op.deleteItemByTitle(vaultId, title));
    assert.deepEqual(ex, [
      ["GET", `/v1/vaults/${vaultId}/items/${eq(title)}`, 200],
      ["DELETE", `/v1/vaults/${vaultId}/items/${item.id}`, 204],
    ]);
  });

  it("listFiles: GET /v1/vaults/{v}/items/{i}/files/ (trailing slash)", async () => {
    const [, ex] = await exchange(() => op.listFiles(vaultId, docId));
    assert.deepEqual(ex, [["GET", `/v1/vaults/${vaultId}/items/${docId}/files/`, 200]]);
  });

  it("listFiles by titles resolves the vault and the item first", async () => {
    const [, ex] = await exchange(() => op.listFiles("Demo", "Welcome Document"));
    assert.deepEqual(ex, [
      ["GET", `/v1/vaults/${eq("Demo")}`, 200],
      ["GET", `/v1/vaults/${vaultId}/items/${eq("Welcome Document")}`, 200],
      ["GET", `/v1/vaults/${vaultId}/items/${docId}/files/`, 200],
    ]);
  });

  it("getFileById: GET …/files/{f}", async () => {
    const [, ex] = await exchange(() => op.getFileById(vaultId, docId, fileId));
    assert.deepEqual(ex, [["GET", `/v1/vaults/${vaultId}/items/${docId}/files/${fileId}`, 200]]);
  });

  it("getFileContent / getFileContentStream: GET …/files/{f}/content as octet-stream with a filename", async () => {
    for (const call of [() => op.getFileContent(vaultId, docId, fileId), () => op.getFileContentStream(vaultId, docId, fileId)]) {
      const { value, error, entries } = await rec.during(call);
      if (error) throw error;
      if (typeof value?.resume === "function") value.resume();
      assert.equal(entries.length, 1);
      const [e] = entries;
      assert.equal(e.path, `/v1/vaults/${vaultId}/items/${docId}/files/${fileId}/content`);
      assert.equal(e.status, 200);
      assert.match(e.headers["content-type"], /^application\/octet-stream/);
      assert.match(e.headers["content-disposition"] || "", /attachment; filename="welcome\.txt"/);
      assert.equal(e.headers["content-length"], "21");
      assert.equal(e.body, "Hello from latchkey.\n");
    }
  });

  it("the SDK sends its user agent, JSON content type and bearer token on every call", () => {
    assert.ok(rec.log.length > 20);
    for (const e of rec.log) {
      assert.equal(e.requestHeaders["user-agent"], "connect-sdk-js/1.4.2");
      assert.equal(e.requestHeaders["content-type"], "application/json");
      assert.equal(e.requestHeaders.authorization, `Bearer ${srv.token}`);
    }
  });

  it("every response carries 1Password-Connect-Version; JSON responses are application/json", () => {
    for (const e of rec.log) {
      assert.match(e.headers["1password-connect-version"] || "", VERSION_RE, `${e.method} ${e.path}`);
      if (e.status !== 204 && !e.path.endsWith("/content")) {
        assert.match(e.headers["content-type"] || "", /^application\/json/, `${e.method} ${e.path}`);
        JSON.parse(e.body);
      }
    }
  });

  it("timestamps on the wire are RFC 3339 UTC with a Z (whole seconds)", () => {
    const TS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
    let seen = 0;
    for (const e of rec.log) {
      if (e.status !== 200 || !/^application\/json/.test(e.headers["content-type"] || "")) continue;
      const body = JSON.parse(e.body);
      for (const obj of Array.isArray(body) ? body : [body]) {
        for (const key of ["createdAt", "updatedAt"]) {
          if (obj && key in obj) {
            assert.match(obj[key], TS, `${key} in ${e.method} ${e.path}`);
            seen++;
          }
        }
      }
    }
    assert.ok(seen > 10, `checked ${seen} timestamps`);
  });

  describe("errors on the wire", () => {
    const cases = [
      ["unknown item", () => op.getItemById(vaultId, "abcdefghijklmnop1234567890"), 404],
      ["malformed item id", () => op.getItemById(vaultId, "bad"), 400],
      ["malformed vault id", () => op.listItems("bad"), 400],
      ["vault out of scope", () => op.getVaultById("abcdefghijklmnop1234567890"), 403],
      ["unknown file", () => op.getFileById(vaultId, docId, "abcdefghijklmnop1234567890"), 404],
      ["bad token", () => connect(rec.url, "garbage").listVaults(), 401],
      ["invalid category", () => op.createItem(vaultId, Object.assign(new ItemBuilder().setCategory(ItemCategory.Login).build(), { category: "NOPE" })), 400],
    ];
    for (const [name, call, status] of cases) {
      it(`${name}: HTTP ${status} with a JSON {status, message} body, status equal to the HTTP code`, async () => {
        const { error, entries } = await rec.during(call);
        assert.ok(error, "the call rejects");
        const last = entries.at(-1);
        assert.equal(last.status, status);
        assert.match(last.headers["content-type"] || "", /^application\/json/);
        assert.match(last.headers["1password-connect-version"] || "", VERSION_RE);
        const body = JSON.parse(last.body);
        assert.deepEqual(Object.keys(body).sort(), ["message", "status"]);
        assert.equal(body.status, status);
        assert.deepEqual(error, body, "the SDK rejects with exactly the server's body");
      });
    }
  });
});

describe("path variants other clients use", () => {
  let srv;
  let vaultId;
  let docId;
  let fileId;
  let auth;

  before(async () => {
    srv = await startLatchkey({ label: "paths" });
    auth = { authorization: `Bearer ${srv.token}`, "content-type": "application/json" };
    const op = connect(srv.host, srv.token);
    [{ id: vaultId }] = await op.listVaults();
    const doc = await op.getItemByTitle(vaultId, "Welcome Document");
    docId = doc.id;
    fileId = doc.files[0].id;
  });

  after(async () => {
    await srv?.stop();
  });

  const get = (p) => fetch(`${srv.host}${p}`, { headers: auth });

  for (const [a, b] of [
    ["/v1/vaults", "/v1/vaults/"],
    ["/v1/vaults?filter=title%20eq%20%22Demo%22", "/v1/vaults/?filter=title%20eq%20%22Demo%22"],
    ["/v1/vaults/{v}/items", "/v1/vaults/{v}/items/"],
    ["/v1/vaults/{v}/items?filter=title+eq+%22Wi-Fi%22", "/v1/vaults/{v}/items/?filter=title+eq+%22Wi-Fi%22"],
    ["/v1/vaults/{v}/items/{d}/files", "/v1/vaults/{v}/items/{d}/files/"],
  ]) {
    it(`${a} and ${b} give the same answer`, async () => {
      const fill = (p) => p.replace("{v}", vaultId).replace("{d}", docId).replace("{f}", fileId);
      const [ra, rb] = await Promise.all([get(fill(a)), get(fill(b))]);
      assert.equal(ra.status, 200);
      assert.equal(rb.status, 200);
      const [ja, jb] = [await ra.json(), await rb.json()];
      assert.ok(Array.isArray(ja) && ja.length > 0);
      assert.deepEqual(ja, jb);
    });
  }

  it("POST /v1/vaults/{v}/items without the slash creates too", async () => {
    const res = await fetch(`${srv.host}/v1/vaults/${vaultId}/items`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ title: "no slash", category: "SECURE_NOTE", vault: { id: vaultId } }),
    });
    assert.equal(res.status, 200);
    assert.equal((await res.json()).title, "no slash");
  });
});
