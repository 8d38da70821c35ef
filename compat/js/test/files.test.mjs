// File methods: listFiles (GET …/files/ with a trailing slash), getFileById,
// getFileContent, getFileContentStream, addressed by ids and by titles.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { startLatchkey } from "./support/server.mjs";
import { connect, rejectsWithStatus, ID_RE, describe as show } from "./support/util.mjs";

const WELCOME = "Hello from latchkey.\n";

async function readAll(stream) {
  const chunks = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/**
 * The content calls ask axios for a stream, so on an HTTP error the SDK
 * rejects with the *response stream*; its body must still be the server's
 * JSON {status, message}.
 */
async function rejectsWithStreamedStatus(promise, status) {
  let rejection;
  try {
    await promise;
  } catch (err) {
    rejection = err;
  }
  assert.ok(rejection !== undefined, "expected a rejection");
  assert.ok(!(rejection instanceof Error), `expected the response body, got ${show(rejection)}`);
  assert.ok(rejection instanceof Readable || typeof rejection.pipe === "function", "a readable body");
  const body = JSON.parse((await readAll(rejection)).toString("utf8"));
  assert.equal(body.status, status, `body ${JSON.stringify(body)}`);
  assert.equal(typeof body.message, "string");
  return body;
}

describe("files", () => {
  let srv;
  let op;
  let vaultId;
  let docId;
  let fileId;

  before(async () => {
    srv = await startLatchkey({ label: "files" });
    op = connect(srv.host, srv.token);
    [{ id: vaultId }] = await op.listVaults();
    const doc = await op.getItemByTitle(vaultId, "Welcome Document");
    docId = doc.id;
    fileId = doc.files?.[0]?.id;
  });

  after(async () => {
    await srv?.stop();
  });

  it("the document item lists its file on GET", async () => {
    const doc = await op.getItemById(vaultId, docId);
    assert.equal(doc.category, "DOCUMENT");
    assert.equal(doc.files.length, 1);
    assert.equal(doc.files[0].name, "welcome.txt");
  });

  it("listFiles by ids (GET v1/vaults/{v}/items/{i}/files/)", async () => {
    const files = await op.listFiles(vaultId, docId);
    assert.equal(files.length, 1);
    const [f] = files;
    assert.match(f.id, ID_RE);
    assert.equal(f.name, "welcome.txt");
    assert.equal(f.size, Buffer.byteLength(WELCOME));
    assert.equal(f.content_path, `/v1/vaults/${vaultId}/items/${docId}/files/${f.id}/content`);
    assert.equal(f.id, fileId, "the same id as in the item's files[]");
    assert.equal(f.content, undefined, "no inline content unless asked for");
  });

  it("listFiles by vault title and item title", async () => {
    const files = await op.listFiles("Demo", "Welcome Document");
    assert.deepEqual(files.map((f) => f.id), [fileId]);
  });

  it("listFiles of an item without files is empty", async () => {
    const login = await op.getItemByTitle(vaultId, "Example Login");
    assert.deepEqual(await op.listFiles(vaultId, login.id), []);
  });

  it("getFileById", async () => {
    const f = await op.getFileById(vaultId, docId, fileId);
    assert.equal(f.id, fileId);
    assert.equal(f.name, "welcome.txt");
    assert.equal(f.size, Buffer.byteLength(WELCOME));
    assert.equal(f.content_path, `/v1/vaults/${vaultId}/items/${docId}/files/${fileId}/content`);
  });

  it("getFileById by titles", async () => {
    const f = await op.getFileById("Demo", "Welcome Document", fileId);
    assert.equal(f.id, fileId);
  });

  it("getFileContent", async () => {
    assert.equal(await op.getFileContent(vaultId, docId, fileId), WELCOME);
  });

  it("getFileContent by titles", async () => {
    assert.equal(await op.getFileContent("Demo", "Welcome Document", fileId), WELCOME);
  });

  it("getFileContentStream", async () => {
    const stream = await op.getFileContentStream(vaultId, docId, fileId);
    assert.equal(typeof stream.pipe, "function", "a readable stream");
    const bytes = await readAll(stream);
    assert.equal(bytes.toString("utf8"), WELCOME);
    assert.equal(bytes.length, Buffer.byteLength(WELCOME));
  });

  it("the file stays readable after the document item is updated", async () => {
    const doc = await op.getItemById(vaultId, docId);
    doc.tags = [...(doc.tags || []), "touched"];
    await op.updateItem(vaultId, doc);
    const again = await op.getItemById(vaultId, docId);
    assert.ok(again.tags.includes("touched"));
    assert.deepEqual(again.files.map((f) => f.id), [fileId]);
    assert.equal(await op.getFileContent(vaultId, docId, fileId), WELCOME);
  });

  it("getFileById with an unknown file id rejects with 404", async () => {
    await rejectsWithStatus(op.getFileById(vaultId, docId, "abcdefghijklmnop1234567890"), 404);
  });

  it("getFileById with an unknown item rejects with 404", async () => {
    await rejectsWithStatus(op.getFileById(vaultId, "abcdefghijklmnop1234567890", fileId), 404);
  });

  it("listFiles with an unknown item rejects with 404", async () => {
    await rejectsWithStatus(op.listFiles(vaultId, "abcdefghijklmnop1234567890"), 404);
  });

  it("listFiles with an unknown item title rejects with the SDK's 404", async () => {
    await rejectsWithStatus(op.listFiles(vaultId, "No Such Document"), 404, /No Items found/);
  });

  it("listFiles with an unknown vault title rejects with the SDK's 404", async () => {
    await rejectsWithStatus(op.listFiles("No Such Vault", docId), 404, /No Vaults found/);
  });

  it("getFileContent with an unknown file rejects with the server's JSON 404", async () => {
    await rejectsWithStreamedStatus(op.getFileContent(vaultId, docId, "abcdefghijklmnop1234567890"), 404);
  });

  it("getFileContentStream with an unknown file rejects with the server's JSON 404", async () => {
    await rejectsWithStreamedStatus(op.getFileContentStream(vaultId, docId, "abcdefghijklmnop1234567890"), 404);
  });

  it("a malformed file id rejects with 400 or 404 as JSON", async () => {
    let err;
    try {
      await op.getFileById(vaultId, docId, "not-a-file-id");
    } catch (e) {
      err = e;
    }
    assert.ok(err && !(err instanceof Error), `rejected with ${show(err)}`);
    assert.ok([400, 404].includes(err.status), `status ${err.status}`);
    assert.equal(typeof err.message, "string");
  });

  it("getFileById without a file id throws before any request", async () => {
    await assert.rejects(op.getFileById(vaultId, docId, ""), /No fileId provided/);
  });

  describe("with a token for another vault", () => {
    let other;

    before(async () => {
      const otherId = await srv.createVault("Files Elsewhere");
      other = connect(srv.host, await srv.issueToken("files-elsewhere", [`${otherId}:rw`]));
    });

    it("listFiles rejects with 403", async () => {
      await rejectsWithStatus(other.listFiles(vaultId, docId), 403);
    });

    it("getFileById rejects with 403", async () => {
      await rejectsWithStatus(other.getFileById(vaultId, docId, fileId), 403);
    });

    it("getFileContent rejects with the server's JSON 403", async () => {
      await rejectsWithStreamedStatus(other.getFileContent(vaultId, docId, fileId), 403);
    });
  });
});
