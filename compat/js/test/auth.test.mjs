// Negative paths through the SDK: tokens scoped to another vault, read-only
// and write-only tokens, revoked, expired, foreign and garbage tokens, unknown
// and malformed ids. Every rejection must be the server's {status, message}
// object, never an exception from inside the client.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { startLatchkey, jwtClaims } from "./support/server.mjs";
import { connect, rejectsWithStatus, sdk, uniqueTitle, waitFor, fieldByLabel } from "./support/util.mjs";

const { ItemBuilder, ItemCategory, FieldType, FieldPurpose } = sdk;

const UNKNOWN_ID = "abcdefghijklmnop1234567890";

const note = (title) => new ItemBuilder().setCategory(ItemCategory.SecureNote).setTitle(title).build();

describe("authorization and errors", () => {
  let srv;
  let op; // dev token, rw on Demo
  let demoId;
  let otherId;
  let loginId;

  before(async () => {
    srv = await startLatchkey({ label: "auth" });
    op = connect(srv.host, srv.token);
    [{ id: demoId }] = await op.listVaults();
    otherId = await srv.createVault("Other");
    loginId = (await op.getItemByTitle(demoId, "Example Login")).id;
  });

  after(async () => {
    await srv?.stop();
  });

  describe("a token scoped to another vault", () => {
    let other;

    before(async () => {
      // this client runs without keep-alive, the others with it
      other = connect(srv.host, await srv.issueToken("other-only", ["Other:rw"]), { keepAlive: false });
    });

    it("listVaults shows only its own vault", async () => {
      assert.deepEqual((await other.listVaults()).map((v) => v.id), [otherId]);
    });

    it("it can use its own vault", async () => {
      const item = await other.createItem(otherId, note(uniqueTitle("Mine")));
      assert.equal((await other.getItemById(otherId, item.id)).vault.id, otherId);
    });

    it("getVaultById rejects with 403", async () => {
      await rejectsWithStatus(other.getVaultById(demoId), 403);
    });

    it("getVaultByTitle does not see the vault (SDK 404)", async () => {
      await rejectsWithStatus(other.getVaultByTitle("Demo"), 404, /No Vaults found/);
    });

    it("listItems rejects with 403", async () => {
      await rejectsWithStatus(other.listItems(demoId), 403);
    });

    it("getItemById rejects with 403", async () => {
      await rejectsWithStatus(other.getItemById(demoId, loginId), 403);
    });

    it("getItemByTitle rejects with 403", async () => {
      await rejectsWithStatus(other.getItemByTitle(demoId, "Example Login"), 403);
    });

    it("listItemsByTitle and listItemsByTitleContains reject with 403", async () => {
      await rejectsWithStatus(other.listItemsByTitle(demoId, "Example Login"), 403);
      await rejectsWithStatus(other.listItemsByTitleContains(demoId, "Example"), 403);
    });

    it("getItemOTP rejects with 403", async () => {
      await rejectsWithStatus(other.getItemOTP(demoId, "API Token"), 403);
    });

    it("createItem rejects with 403 and creates nothing", async () => {
      const title = uniqueTitle("Intruder");
      await rejectsWithStatus(other.createItem(demoId, note(title)), 403);
      assert.deepEqual(await op.listItemsByTitle(demoId, title), []);
    });

    it("updateItem rejects with 403 and changes nothing", async () => {
      const item = await op.getItemById(demoId, loginId);
      const before1 = item.version;
      item.title = "Hijacked";
      await rejectsWithStatus(other.updateItem(demoId, item), 403);
      const now = await op.getItemById(demoId, loginId);
      assert.equal(now.title, "Example Login");
      assert.equal(now.version, before1);
    });

    it("deleteItemById rejects with 403 and deletes nothing", async () => {
      await rejectsWithStatus(other.deleteItemById(demoId, loginId), 403);
      assert.equal((await op.getItemById(demoId, loginId)).id, loginId);
    });

    it("an item id from the other vault under its own vault is a 404", async () => {
      await rejectsWithStatus(other.getItemById(otherId, loginId), 404);
    });
  });

  describe("a read-only token", () => {
    let ro;

    before(async () => {
      ro = connect(srv.host, await srv.issueToken("demo-read", ["Demo:r"]));
    });

    it("can read", async () => {
      assert.equal((await ro.getItemById(demoId, loginId)).title, "Example Login");
      assert.equal((await ro.listItems(demoId)).length >= 5, true);
      assert.match(await ro.getItemOTP(demoId, "API Token"), /^[0-9]{6}$/);
    });

    it("cannot create (403)", async () => {
      await rejectsWithStatus(ro.createItem(demoId, note(uniqueTitle("RO create"))), 403);
    });

    it("cannot update (403)", async () => {
      const item = await ro.getItemById(demoId, loginId);
      item.title = "RO edit";
      await rejectsWithStatus(ro.updateItem(demoId, item), 403);
      assert.equal((await op.getItemById(demoId, loginId)).title, "Example Login");
    });

    it("cannot delete (403)", async () => {
      await rejectsWithStatus(ro.deleteItem(demoId, loginId), 403);
      assert.equal((await op.getItemById(demoId, loginId)).id, loginId);
    });
  });

  describe("a write-only token", () => {
    let wo;

    before(async () => {
      wo = connect(srv.host, await srv.issueToken("demo-write", ["Demo:w"]));
    });

    it("cannot read an item (403)", async () => {
      await rejectsWithStatus(wo.getItemById(demoId, loginId), 403);
    });

    it("cannot list items (403)", async () => {
      await rejectsWithStatus(wo.listItems(demoId), 403);
    });

    it("cannot look items up by title (403 on the filtered list)", async () => {
      await rejectsWithStatus(wo.getItemByTitle(demoId, "Example Login"), 403);
    });

    it("can create, and the item is there for a reader", async () => {
      const title = uniqueTitle("Write only");
      const created = await wo.createItem(demoId, note(title));
      assert.match(created.id, /^[a-z0-9]{26}$/);
      assert.equal((await op.getItemById(demoId, created.id)).title, title);
    });

    it("can delete by id", async () => {
      const item = await op.createItem(demoId, note(uniqueTitle("WO delete")));
      await wo.deleteItemById(demoId, item.id);
      await rejectsWithStatus(op.getItemById(demoId, item.id), 404);
    });
  });

  describe("revoked, expired and invalid tokens", () => {
    it("a revoked token is refused with 401 within about 1 s", async () => {
      const token = await srv.issueToken("to-revoke", ["Demo:r"]);
      const client = connect(srv.host, token);
      assert.equal((await client.listVaults()).length, 1, "works before revocation");
      await srv.revokeToken(jwtClaims(token).jti);
      const elapsed = await waitFor(async () => {
        try {
          await client.listVaults();
          return false;
        } catch (err) {
          return err?.status === 401;
        }
      }, 1500);
      assert.ok(elapsed <= 1500, `refused after ${elapsed} ms`);
      await rejectsWithStatus(client.listVaults(), 401);
      await rejectsWithStatus(client.getItemById(demoId, loginId), 401);
      await rejectsWithStatus(client.getItemByTitle(demoId, "Example Login"), 401);
    });

    it("revoking by name works the same", async () => {
      const token = await srv.issueToken("revoke-by-name", ["Demo:rw"]);
      const client = connect(srv.host, token);
      await client.listItems(demoId);
      await srv.revokeToken("revoke-by-name");
      await waitFor(async () => {
        try {
          await client.listItems(demoId);
          return false;
        } catch (err) {
          return err?.status === 401;
        }
      }, 1500);
      await rejectsWithStatus(client.createItem(demoId, note(uniqueTitle("after revoke"))), 401);
    });

    it("revoking one token leaves the others working", async () => {
      const keep = connect(srv.host, await srv.issueToken("keeper", ["Demo:r"]));
      await srv.issueToken("goner", ["Demo:r"]);
      await srv.revokeToken("goner");
      await new Promise((r) => setTimeout(r, 1100));
      assert.equal((await keep.listVaults()).length, 1);
      assert.equal((await op.listVaults()).length, 1);
    });

    it("an expired token is refused with 401", async () => {
      const client = connect(srv.host, await srv.issueToken("short-lived", ["Demo:r"], { expiresIn: "1s" }));
      await new Promise((r) => setTimeout(r, 2100));
      await rejectsWithStatus(client.listVaults(), 401);
    });

    it("a garbage token is refused with 401", async () => {
      await rejectsWithStatus(connect(srv.host, "not-a-jwt").listVaults(), 401);
    });

    it("a token with a tampered payload is refused with 401", async () => {
      const [h, p, s] = srv.token.split(".");
      const claims = JSON.parse(Buffer.from(p, "base64url").toString());
      claims["1password.com/vts"] = [...claims["1password.com/vts"], { u: otherId, a: 1008 }];
      const forged = [h, Buffer.from(JSON.stringify(claims)).toString("base64url"), s].join(".");
      await rejectsWithStatus(connect(srv.host, forged).listVaults(), 401);
    });

    it("a token issued by another latchkey server is refused with 401", async () => {
      const stranger = await startLatchkey({ label: "stranger" });
      try {
        await rejectsWithStatus(connect(srv.host, stranger.token).listVaults(), 401);
        await rejectsWithStatus(connect(srv.host, stranger.token).getItemById(demoId, loginId), 401);
      } finally {
        await stranger.stop();
      }
    });
  });

  describe("unknown and malformed ids", () => {
    it("getItemById with a well-formed unknown id rejects with 404", async () => {
      await rejectsWithStatus(op.getItemById(demoId, UNKNOWN_ID), 404, /not found/);
    });

    it("getItem with a well-formed unknown id rejects with 404", async () => {
      await rejectsWithStatus(op.getItem(demoId, UNKNOWN_ID), 404, /not found/);
    });

    it("deleteItemById with an unknown id rejects with 404", async () => {
      await rejectsWithStatus(op.deleteItemById(demoId, UNKNOWN_ID), 404);
    });

    it("getItemById with a malformed item id rejects with 400 Invalid Item UUID", async () => {
      await rejectsWithStatus(op.getItemById(demoId, "not-an-item"), 400, /Invalid Item UUID/);
    });

    it("deleteItemById with a malformed item id rejects with 400 Invalid Item UUID", async () => {
      await rejectsWithStatus(op.deleteItemById(demoId, "NOT_AN_ITEM"), 400, /Invalid Item UUID/);
    });

    it("getItemById with a malformed vault id rejects with 400 Invalid Vault UUID", async () => {
      await rejectsWithStatus(op.getItemById("Demo", loginId), 400, /Invalid Vault UUID/);
    });

    it("createItem with a malformed vault id rejects with 400 Invalid Vault UUID", async () => {
      await rejectsWithStatus(op.createItem("not-a-vault", note(uniqueTitle("x"))), 400, /Invalid Vault UUID/);
    });

    it("updateItem with a malformed item id rejects with 400 Invalid Item UUID", async () => {
      const item = await op.getItemById(demoId, loginId);
      item.id = "short";
      await rejectsWithStatus(op.updateItem(demoId, item), 400, /Invalid Item UUID/);
    });

    it("getItem with a non-id query falls back to the title lookup (SDK 404)", async () => {
      await rejectsWithStatus(op.getItem(demoId, "not-an-item"), 404, /No Items found/);
    });
  });

  describe("invalid item bodies", () => {
    it("two PASSWORD-purpose fields are rejected with 400", async () => {
      const built = new ItemBuilder()
        .setCategory(ItemCategory.Login)
        .setTitle(uniqueTitle("Two passwords"))
        .addField({ label: "password", type: FieldType.Concealed, purpose: FieldPurpose.Password, value: "a" })
        .addField({ label: "password2", type: FieldType.Concealed, purpose: FieldPurpose.Password, value: "b" })
        .build();
      await rejectsWithStatus(op.createItem(demoId, built), 400);
    });

    it("an unknown category is rejected with 400", async () => {
      const built = note(uniqueTitle("Bad category"));
      built.category = "NOT_A_CATEGORY";
      await rejectsWithStatus(op.createItem(demoId, built), 400);
    });

    it("a field of an unknown type is rejected with 400", async () => {
      const built = note(uniqueTitle("Bad field type"));
      built.fields = [{ label: "x", type: "HOLOGRAM", value: "y" }];
      await rejectsWithStatus(op.createItem(demoId, built), 400);
    });

    it("changing an item's category on update is rejected (4xx) and changes nothing", async () => {
      const item = await op.createItem(demoId, note(uniqueTitle("Fixed category")));
      const edit = await op.getItemById(demoId, item.id);
      edit.category = "LOGIN";
      await rejectsWithStatus(op.updateItem(demoId, edit), [400, 403, 409, 422]);
      assert.equal((await op.getItemById(demoId, item.id)).category, "SECURE_NOTE");
    });

    it("an item built without fields still gets its built-in notes field", async () => {
      const item = await op.createItem(demoId, note(uniqueTitle("Bare note")));
      assert.ok(item.fields.some((f) => f.purpose === "NOTES"), "notesPlain is present");
      assert.ok(fieldByLabel(item, "notesPlain"));
    });
  });
});
