// Vault methods of @1password/connect 1.4.2 against latchkey:
// listVaults, listVaultsByTitle, getVault, getVaultById, getVaultByTitle, listItems.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { startLatchkey } from "./support/server.mjs";
import { connect, rejectsWithStatus, ID_RE, sdk } from "./support/util.mjs";

const VAULT_TYPES = ["USER_CREATED", "PERSONAL", "EVERYONE", "TRANSFER"];

describe("vaults", () => {
  let srv;
  let op; // dev token: rw on Demo only
  let multi; // token on Demo, Team Shared and both "Twin" vaults
  let demoId, teamId, twin1, twin2, emptyId, unlistedId;

  before(async () => {
    srv = await startLatchkey({ label: "vaults" });
    op = connect(srv.host, srv.token);
    const [demo] = await op.listVaults();
    demoId = demo.id;
    teamId = await srv.createVault("Team Shared");
    twin1 = await srv.createVault("Twin");
    twin2 = await srv.createVault("Twin");
    emptyId = await srv.createVault("Empty Vault");
    unlistedId = await srv.createVault("Unlisted");
    const token = await srv.issueToken("vaults-multi", [
      `${demoId}:rw`,
      `${teamId}:r`,
      `${twin1}:r`,
      `${twin2}:r`,
      `${emptyId}:r`,
    ]);
    multi = connect(srv.host, token);
  });

  after(async () => {
    await srv?.stop();
  });

  it("listVaults returns only the token's vault, as SDK Vault models", async () => {
    const vaults = await op.listVaults();
    assert.equal(vaults.length, 1);
    const [v] = vaults;
    assert.ok(v instanceof sdk.Vault, "deserialized into the SDK's Vault class");
    assert.match(v.id, ID_RE);
    assert.equal(v.name, "Demo");
    assert.ok(VAULT_TYPES.includes(v.type), `vault type ${v.type}`);
    assert.equal(typeof v.attributeVersion, "number");
    assert.equal(typeof v.contentVersion, "number");
    assert.equal(v.items, 5, "the demo vault holds 5 items");
    assert.ok(v.createdAt instanceof Date && !Number.isNaN(v.createdAt.getTime()), "createdAt parses");
    assert.ok(v.updatedAt instanceof Date && !Number.isNaN(v.updatedAt.getTime()), "updatedAt parses");
  });

  it("listVaults with a multi-vault token lists exactly the vaults in the token", async () => {
    const vaults = await multi.listVaults();
    assert.deepEqual(
      vaults.map((v) => v.id).sort(),
      [demoId, teamId, twin1, twin2, emptyId].sort(),
    );
    assert.ok(!vaults.some((v) => v.id === unlistedId), "a vault outside the token is not listed");
    for (const v of vaults) assert.ok(VAULT_TYPES.includes(v.type), `vault type ${v.type}`);
  });

  it("works with a serverURL that ends in a slash", async () => {
    const slashed = connect(`${srv.host}/`, srv.token);
    const vaults = await slashed.listVaults();
    assert.deepEqual(vaults.map((v) => v.id), [demoId]);
  });

  describe("listVaultsByTitle (GET v1/vaults/?filter=title eq)", () => {
    it("one match", async () => {
      const vaults = await multi.listVaultsByTitle("Team Shared");
      assert.deepEqual(vaults.map((v) => v.id), [teamId]);
      assert.equal(vaults[0].name, "Team Shared");
    });

    it("two matches", async () => {
      const vaults = await multi.listVaultsByTitle("Twin");
      assert.deepEqual(vaults.map((v) => v.id).sort(), [twin1, twin2].sort());
    });

    it("no match is an empty list", async () => {
      assert.deepEqual(await multi.listVaultsByTitle("No Such Vault"), []);
    });

    it("exact match: a prefix of the title does not match", async () => {
      assert.deepEqual(await multi.listVaultsByTitle("Team"), []);
    });

    it("a vault outside the token is not found by title", async () => {
      assert.deepEqual(await multi.listVaultsByTitle("Unlisted"), []);
    });

    it("a unicode vault name is found by title", async () => {
      const id = await srv.createVault("Équipe sécurité ✓");
      const token = await srv.issueToken("vaults-unicode", [`${id}:r`]);
      const client = connect(srv.host, token);
      const vaults = await client.listVaultsByTitle("Équipe sécurité ✓");
      assert.deepEqual(vaults.map((v) => v.id), [id]);
      assert.equal(vaults[0].name, "Équipe sécurité ✓");
      assert.equal((await client.getVault("Équipe sécurité ✓")).id, id);
    });

    it("vault name eq is case-insensitive (as Connect's is)", async () => {
      const vaults = await multi.listVaultsByTitle("team shared");
      assert.deepEqual(vaults.map((v) => v.id), [teamId]);
    });
  });

  describe("getVaultByTitle", () => {
    it("exactly one match resolves to the vault", async () => {
      const v = await multi.getVaultByTitle("Team Shared");
      assert.equal(v.id, teamId);
      assert.equal(v.name, "Team Shared");
      assert.equal(v.items, 0);
    });

    it("no match rejects with the SDK's 404", async () => {
      await rejectsWithStatus(multi.getVaultByTitle("No Such Vault"), 404, /^No Vaults found with title$/);
    });

    it("several matches reject with the SDK's 400", async () => {
      await rejectsWithStatus(multi.getVaultByTitle("Twin"), 400, /^Found multiple Vaults with given title/);
    });
  });

  describe("getVaultById (GET v1/vaults/{id})", () => {
    it("returns the same vault as the list", async () => {
      const listed = (await multi.listVaults()).find((v) => v.id === demoId);
      const got = await multi.getVaultById(demoId);
      assert.ok(got instanceof sdk.Vault);
      assert.deepEqual(got, listed);
    });

    it("a vault outside the token rejects with 403", async () => {
      await rejectsWithStatus(multi.getVaultById(unlistedId), 403);
    });

    it("a well-formed but unknown vault id rejects with 403 (not in the token's scope)", async () => {
      await rejectsWithStatus(multi.getVaultById("abcdefghijklmnop1234567890"), 403);
    });

    it("a malformed vault id rejects with 400 Invalid Vault UUID", async () => {
      await rejectsWithStatus(multi.getVaultById("not-a-vault"), 400, /Invalid Vault UUID/);
    });

    it("'[object Object]' as the id (connect-sdk-js#29) rejects with 400 Invalid Vault UUID", async () => {
      await rejectsWithStatus(multi.getVaultById(String({})), 400, /Invalid Vault UUID/);
    });
  });

  describe("getVault (id or title)", () => {
    it("by id", async () => {
      const v = await multi.getVault(teamId);
      assert.equal(v.id, teamId);
    });

    it("by title", async () => {
      const v = await multi.getVault("Team Shared");
      assert.equal(v.id, teamId);
    });

    it("by an ambiguous title rejects with the SDK's 400", async () => {
      await rejectsWithStatus(multi.getVault("Twin"), 400, /multiple Vaults/);
    });

    it("by an unknown title rejects with the SDK's 404", async () => {
      await rejectsWithStatus(multi.getVault("No Such Vault"), 404, /No Vaults found/);
    });

    it("without a query throws before any request", async () => {
      await assert.rejects(multi.getVault(""), /Please provide either the vault name or its ID/);
    });
  });

  describe("listItems (GET v1/vaults/{id}/items)", () => {
    it("lists the demo vault's item summaries", async () => {
      const items = await op.listItems(demoId);
      assert.deepEqual(
        items.map((i) => i.title).sort(),
        ["API Token", "Database", "Example Login", "Welcome Document", "Wi-Fi"],
      );
      for (const it of items) {
        assert.match(it.id, ID_RE);
        assert.equal(it.vault?.id, demoId, "summaries carry vault.id (getItemByTitle relies on it)");
        assert.equal(typeof it.category, "string");
        assert.equal(typeof it.version, "number");
        assert.ok(it.createdAt instanceof Date && !Number.isNaN(it.createdAt.getTime()));
        assert.ok(it.updatedAt instanceof Date && !Number.isNaN(it.updatedAt.getTime()));
      }
      const byTitle = Object.fromEntries(items.map((i) => [i.title, i]));
      assert.equal(byTitle["Example Login"].category, "LOGIN");
      assert.equal(byTitle["Database"].category, "DATABASE");
      assert.equal(byTitle["API Token"].category, "API_CREDENTIAL");
      assert.equal(byTitle["Wi-Fi"].category, "PASSWORD");
      assert.equal(byTitle["Welcome Document"].category, "DOCUMENT");
      assert.deepEqual(byTitle["Example Login"].tags, ["demo", "web"]);
      assert.deepEqual(
        byTitle["Example Login"].urls.map((u) => ({ href: u.href, primary: u.primary })),
        [{ href: "https://example.com/login", primary: true }],
      );
    });

    it("an empty vault lists no items", async () => {
      assert.deepEqual(await multi.listItems(emptyId), []);
    });

    it("the vault's item count matches its listing", async () => {
      const v = await multi.getVaultById(demoId);
      const items = await multi.listItems(demoId);
      assert.equal(v.items, items.length);
    });

    it("a vault outside the token rejects with 403", async () => {
      await rejectsWithStatus(multi.listItems(unlistedId), 403);
    });

    it("a malformed vault id rejects with 400 Invalid Vault UUID", async () => {
      await rejectsWithStatus(multi.listItems("Demo"), 400, /Invalid Vault UUID/);
    });
  });
});
