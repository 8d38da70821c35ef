// Item methods of @1password/connect 1.4.2 against latchkey, with items built
// by the SDK's ItemBuilder: createItem, getItem, getItemById, getItemByTitle,
// listItemsByTitle, listItemsByTitleContains, updateItem, deleteItem,
// deleteItemById, deleteItemByTitle.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { startLatchkey } from "./support/server.mjs";
import { connect, rejectsWithStatus, ID_RE, sdk, fieldByLabel, uniqueTitle } from "./support/util.mjs";

const { ItemBuilder, ItemCategory, FieldType, FieldPurpose, FullItem } = sdk;

function assertRecentDate(d, what) {
  assert.ok(d instanceof Date && !Number.isNaN(d.getTime()), `${what} is a valid Date`);
  const skew = Math.abs(Date.now() - d.getTime());
  assert.ok(skew < 5 * 60 * 1000, `${what} (${d.toISOString()}) is close to now`);
}

/** A LOGIN with every builder feature: section, purposes, generated password, URLs, tags, favorite. */
function buildLogin(title) {
  return new ItemBuilder()
    .setCategory(ItemCategory.Login)
    .setTitle(title)
    .addField({ label: "username", value: "alice@example.com", purpose: FieldPurpose.Username })
    .addField({
      label: "password",
      type: FieldType.Concealed,
      purpose: FieldPurpose.Password,
      generate: true,
      recipe: { length: 30, characterSets: ["LETTERS", "DIGITS"] },
    })
    .addField({ label: "Hostname", value: "db.internal", sectionName: "Connection Details" })
    .addField({ label: "Port", value: "5432", sectionName: "Connection Details" })
    .addField({ label: "Recovery email", type: FieldType.Email, value: "ops@example.com", sectionName: "Recovery" })
    .addField({ label: "Admin console", type: FieldType.Url, value: "https://admin.example.com", sectionName: "Recovery" })
    .addUrl({ href: "https://example.org/secondary" })
    .addUrl({ href: "https://example.org/login", primary: true })
    .addTag("compat")
    .addTag("js-sdk")
    .toggleFavorite()
    .build();
}

describe("items", () => {
  let srv;
  let op;
  let vaultId;

  before(async () => {
    srv = await startLatchkey({ label: "items" });
    op = connect(srv.host, srv.token);
    [{ id: vaultId }] = await op.listVaults();
  });

  after(async () => {
    await srv?.stop();
  });

  describe("createItem with ItemBuilder (POST v1/vaults/{v}/items/)", () => {
    let created;
    let sent;
    const title = uniqueTitle("Compat Login");

    before(async () => {
      sent = buildLogin(title);
      created = await op.createItem(vaultId, sent);
    });

    it("returns the created FullItem", async () => {
      assert.ok(created instanceof FullItem, "deserialized into the SDK's FullItem class");
      assert.match(created.id, ID_RE);
      assert.equal(created.title, title);
      assert.equal(created.category, "LOGIN");
      assert.equal(created.vault.id, vaultId);
      assert.equal(created.version, 1, "a new item has version 1");
      assert.equal(created.favorite, true);
      assert.deepEqual([...created.tags].sort(), ["compat", "js-sdk"]);
      assertRecentDate(created.createdAt, "createdAt");
      assertRecentDate(created.updatedAt, "updatedAt");
    });

    it("keeps field values, types and purposes", async () => {
      const user = fieldByLabel(created, "username");
      assert.equal(user.value, "alice@example.com");
      assert.equal(user.purpose, "USERNAME");
      const pass = fieldByLabel(created, "password");
      assert.equal(pass.purpose, "PASSWORD");
      assert.equal(pass.type, "CONCEALED");
      assert.match(pass.value, /^[A-Za-z0-9]{30}$/, "generated with the recipe");
      assert.equal(fieldByLabel(created, "Hostname").value, "db.internal");
      assert.equal(fieldByLabel(created, "Port").value, "5432");
      const email = fieldByLabel(created, "Recovery email");
      assert.equal(email.type, "EMAIL");
      assert.equal(email.value, "ops@example.com");
      const url = fieldByLabel(created, "Admin console");
      assert.equal(url.type, "URL");
      assert.equal(url.value, "https://admin.example.com");
      assert.equal(user.id, "username", "the USERNAME-purpose field gets Connect's built-in id");
      assert.equal(pass.id, "password", "the PASSWORD-purpose field gets Connect's built-in id");
      const notes = created.fields.find((f) => f.purpose === "NOTES");
      assert.ok(notes, "the server adds the built-in notes field");
      assert.equal(notes.id, "notesPlain");
      assert.equal(notes.label, "notesPlain");
      assert.match(created.lastEditedBy ?? "", /^[A-Z2-7]{26}$/, "lastEditedBy is a 26-character uppercase id");
      for (const f of created.fields) {
        assert.equal(typeof f.id, "string", "every field has an id");
        assert.ok(f.id.length > 0, "every field has a non-empty id");
        assert.ok(["", "USERNAME", "PASSWORD", "NOTES", undefined].includes(f.purpose), `purpose ${f.purpose}`);
      }
      assert.equal(new Set(created.fields.map((f) => f.id)).size, created.fields.length, "field ids are unique");
    });

    it("keeps the sections and links fields to them", async () => {
      const labels = created.sections.map((s) => s.label).sort();
      for (const want of ["Connection Details", "Recovery"]) assert.ok(labels.includes(want), `section ${want} in ${labels}`);
      const sectionOf = (label) => {
        const f = fieldByLabel(created, label);
        assert.ok(f.section?.id, `field ${label} is in a section`);
        const s = created.sections.find((x) => x.id === f.section.id);
        assert.ok(s, `field ${label} points at an existing section (${f.section.id})`);
        return s.label;
      };
      assert.equal(sectionOf("Hostname"), "Connection Details");
      assert.equal(sectionOf("Port"), "Connection Details");
      assert.equal(sectionOf("Recovery email"), "Recovery");
      assert.equal(sectionOf("Admin console"), "Recovery");
      assert.ok(!fieldByLabel(created, "username").section?.id, "username is not in a section");
    });

    it("keeps the URLs and which one is primary", async () => {
      const urls = created.urls.map((u) => ({ href: u.href, primary: Boolean(u.primary) }));
      assert.equal(urls.length, 2);
      assert.deepEqual(urls.find((u) => u.primary), { href: "https://example.org/login", primary: true });
      assert.deepEqual(urls.find((u) => !u.primary), { href: "https://example.org/secondary", primary: false });
    });

    it("getItemById returns the same item", async () => {
      const got = await op.getItemById(vaultId, created.id);
      assert.ok(got instanceof FullItem);
      assert.deepEqual(got, created);
    });

    it("getItem by id and by title return the same item", async () => {
      assert.deepEqual(await op.getItem(vaultId, created.id), created);
      assert.deepEqual(await op.getItem(vaultId, title), created);
    });

    it("getItemByTitle returns the same item", async () => {
      assert.deepEqual(await op.getItemByTitle(vaultId, title), created);
    });

    it("the item appears in listItems as a summary", async () => {
      const summary = (await op.listItems(vaultId)).find((i) => i.id === created.id);
      assert.ok(summary, "listed");
      assert.equal(summary.title, title);
      assert.equal(summary.vault.id, vaultId);
      assert.equal(summary.version, 1);
      assert.equal(summary.favorite, true);
      assert.deepEqual([...summary.tags].sort(), ["compat", "js-sdk"]);
    });
  });

  it("a USERNAME-purpose field sent without a label comes back labelled 'username' (Connect >= 1.5.0)", async () => {
    const built = new ItemBuilder()
      .setCategory(ItemCategory.Login)
      .setTitle(uniqueTitle("No labels"))
      .addField({ value: "nolabel@example.com", purpose: FieldPurpose.Username })
      .addField({ type: FieldType.Concealed, value: "pw", purpose: FieldPurpose.Password })
      .build();
    const item = await op.createItem(vaultId, built);
    const user = item.fields.find((f) => f.purpose === "USERNAME");
    const pass = item.fields.find((f) => f.purpose === "PASSWORD");
    assert.equal(user.label, "username");
    assert.equal(user.value, "nolabel@example.com");
    assert.equal(pass.label, "password");
    assert.equal(pass.value, "pw");
  });

  it("a MENU field round-trips", async () => {
    const built = new ItemBuilder()
      .setCategory(ItemCategory.Membership)
      .setTitle(uniqueTitle("Menu"))
      .addField({ label: "tier", type: FieldType.Menu, value: "gold" })
      .build();
    const item = await op.createItem(vaultId, built);
    assert.equal(fieldByLabel(item, "tier").type, "MENU");
    assert.equal(fieldByLabel(await op.getItemById(vaultId, item.id), "tier").value, "gold");
  });

  describe("several categories", () => {
    const cases = [
      {
        category: ItemCategory.Password,
        build: (b) =>
          b.addField({ label: "password", type: FieldType.Concealed, purpose: FieldPurpose.Password, value: "correct horse battery staple" }),
        check: (item) => assert.equal(fieldByLabel(item, "password").value, "correct horse battery staple"),
      },
      {
        category: ItemCategory.SecureNote,
        build: (b) => b.addField({ label: "notesPlain", purpose: FieldPurpose.Notes, value: "line one\nline two ✓" }),
        check: (item) => {
          const notes = item.fields.find((f) => f.purpose === "NOTES");
          assert.ok(notes, "a NOTES field");
          assert.equal(notes.value, "line one\nline two ✓");
        },
      },
      {
        category: ItemCategory.Server,
        build: (b) =>
          b
            .addField({ label: "URL", type: FieldType.Url, value: "ssh://server.example.com" })
            .addField({ label: "admin password", type: FieldType.Concealed, value: "s3rv3r!", sectionName: "Admin Console" }),
        check: (item) => {
          assert.equal(fieldByLabel(item, "URL").value, "ssh://server.example.com");
          assert.equal(fieldByLabel(item, "admin password").value, "s3rv3r!");
        },
      },
      {
        category: ItemCategory.Database,
        build: (b) =>
          b
            .addField({ label: "server", value: "pg.example.com", sectionName: "connection" })
            .addField({ label: "port", value: "5432", sectionName: "connection" })
            .addField({ label: "database", value: "app", sectionName: "connection" }),
        check: (item) => assert.equal(fieldByLabel(item, "database").value, "app"),
      },
      {
        category: ItemCategory.APICredential,
        build: (b) =>
          b
            .addField({ label: "credential", type: FieldType.Concealed, value: "sk_live_abc123" })
            .addField({ label: "expires", type: FieldType.Date, value: "1893456000" }),
        check: (item) => {
          assert.equal(fieldByLabel(item, "credential").value, "sk_live_abc123");
          assert.equal(fieldByLabel(item, "expires").type, "DATE");
          assert.equal(fieldByLabel(item, "expires").value, "1893456000", "DATE as Unix seconds round-trips");
        },
      },
      {
        category: ItemCategory.CreditCard,
        build: (b) =>
          b
            .addField({ label: "cardholder name", value: "Alice Example" })
            .addField({ label: "expiry date", type: FieldType.MonthYear, value: "202712" }),
        check: (item) => {
          assert.equal(fieldByLabel(item, "expiry date").type, "MONTH_YEAR");
          assert.equal(fieldByLabel(item, "expiry date").value, "202712");
        },
      },
      {
        category: ItemCategory.WirelessRouter,
        build: (b) =>
          b
            .addField({ label: "network name", value: "latchkey-lab" })
            .addField({ label: "wireless network password", type: FieldType.Concealed, value: "wpa2-secret" }),
        check: (item) => assert.equal(fieldByLabel(item, "network name").value, "latchkey-lab"),
      },
    ];

    for (const c of cases) {
      it(`creates and reads back a ${c.category} item`, async () => {
        const title = uniqueTitle(`Compat ${c.category}`);
        const built = c.build(new ItemBuilder().setCategory(c.category).setTitle(title)).build();
        const created = await op.createItem(vaultId, built);
        assert.equal(created.category, c.category);
        assert.equal(created.title, title);
        assert.equal(created.version, 1);
        c.check(created);
        const got = await op.getItemById(vaultId, created.id);
        assert.equal(got.category, c.category);
        c.check(got);
      });
    }

    it("a DATE given as YYYY-MM-DD comes back as Unix seconds of that day", async () => {
      const built = new ItemBuilder()
        .setCategory(ItemCategory.APICredential)
        .setTitle(uniqueTitle("Compat date"))
        .addField({ label: "valid from", type: FieldType.Date, value: "2030-01-02" })
        .build();
      const item = await op.createItem(vaultId, built);
      const value = fieldByLabel(item, "valid from").value;
      assert.match(value, /^\d+$/, `DATE value ${value} is Unix seconds`);
      const day = Date.UTC(2030, 0, 2) / 1000;
      // Connect parses the date in the server's local time zone: allow any zone.
      assert.ok(Number(value) >= day - 14 * 3600 && Number(value) < day + 36 * 3600, `${value} falls on 2030-01-02`);
    });

    it("a unicode title round-trips and is found by title", async () => {
      const title = uniqueTitle("Clé d’accès — 鍵 🔑 ünïcödé");
      const built = new ItemBuilder().setCategory(ItemCategory.SecureNote).setTitle(title).build();
      const created = await op.createItem(vaultId, built);
      assert.equal(created.title, title);
      const found = await op.getItemByTitle(vaultId, title);
      assert.equal(found.id, created.id);
    });

    it("a title with an apostrophe round-trips and is found by title", async () => {
      // The SDK sends `title eq "<title>"` unescaped; an apostrophe inside double quotes is text.
      const title = uniqueTitle("O'Brien's key");
      const built = new ItemBuilder().setCategory(ItemCategory.SecureNote).setTitle(title).build();
      const created = await op.createItem(vaultId, built);
      assert.equal(created.title, title);
      assert.equal((await op.getItemById(vaultId, created.id)).title, title);
      assert.equal((await op.getItemByTitle(vaultId, title)).id, created.id);
    });

    it("a title with URL punctuation round-trips and is found by title", async () => {
      const title = uniqueTitle("prod/db: admin (primary), v2! *ok* @home ~ $x;y=z");
      const built = new ItemBuilder().setCategory(ItemCategory.SecureNote).setTitle(title).build();
      const created = await op.createItem(vaultId, built);
      assert.equal(created.title, title);
      assert.equal((await op.getItemByTitle(vaultId, title)).id, created.id);
      assert.deepEqual((await op.listItemsByTitleContains(vaultId, "admin (primary), v2!")).map((i) => i.id), [created.id]);
    });

    it("creating a DOCUMENT item is rejected with 400 (Connect cannot create documents)", async () => {
      const built = new ItemBuilder().setCategory(ItemCategory.Document).setTitle(uniqueTitle("Compat doc")).build();
      await rejectsWithStatus(op.createItem(vaultId, built), 400);
    });

    it("creating a CUSTOM item is rejected with 400", async () => {
      const built = new ItemBuilder().setCategory(ItemCategory.Custom).setTitle(uniqueTitle("Compat custom")).build();
      await rejectsWithStatus(op.createItem(vaultId, built), 400);
    });
  });

  describe("lookups by title: 0, 1 and many results", () => {
    const prefix = uniqueTitle("Lookup");
    const one = `${prefix} single`;
    const dup = `${prefix} twin`;
    let oneId;
    let dupIds;

    before(async () => {
      const mk = (title, value) =>
        op.createItem(
          vaultId,
          new ItemBuilder()
            .setCategory(ItemCategory.Password)
            .setTitle(title)
            .addField({ label: "password", type: FieldType.Concealed, purpose: FieldPurpose.Password, value })
            .build(),
        );
      oneId = (await mk(one, "v-one")).id;
      dupIds = [(await mk(dup, "v-a")).id, (await mk(dup, "v-b")).id];
    });

    it("listItemsByTitle: one match gives one full item", async () => {
      const items = await op.listItemsByTitle(vaultId, one);
      assert.equal(items.length, 1);
      assert.ok(items[0] instanceof FullItem);
      assert.equal(items[0].id, oneId);
      assert.equal(fieldByLabel(items[0], "password").value, "v-one", "full items, with fields");
    });

    it("listItemsByTitle: two matches give both full items", async () => {
      const items = await op.listItemsByTitle(vaultId, dup);
      assert.deepEqual(items.map((i) => i.id).sort(), [...dupIds].sort());
      assert.deepEqual(items.map((i) => fieldByLabel(i, "password").value).sort(), ["v-a", "v-b"]);
    });

    it("listItemsByTitle: no match gives an empty list", async () => {
      assert.deepEqual(await op.listItemsByTitle(vaultId, `${prefix} none`), []);
    });

    it("listItemsByTitle is an exact match (a prefix finds nothing)", async () => {
      assert.deepEqual(await op.listItemsByTitle(vaultId, prefix), []);
    });

    it("listItemsByTitleContains finds every title containing the string", async () => {
      const items = await op.listItemsByTitleContains(vaultId, prefix);
      assert.deepEqual(items.map((i) => i.id).sort(), [oneId, ...dupIds].sort());
      for (const i of items) assert.ok(i instanceof FullItem && Array.isArray(i.fields), "full items");
    });

    it("listItemsByTitleContains matches in the middle of a title", async () => {
      const items = await op.listItemsByTitleContains(vaultId, "ample Logi");
      assert.deepEqual(items.map((i) => i.title), ["Example Login"]);
    });

    it("listItemsByTitleContains with no match gives an empty list", async () => {
      assert.deepEqual(await op.listItemsByTitleContains(vaultId, "zzz-no-such-substring"), []);
    });

    it("getItemByTitle: one match", async () => {
      const item = await op.getItemByTitle(vaultId, one);
      assert.equal(item.id, oneId);
    });

    it("getItemByTitle: no match rejects with the SDK's 404", async () => {
      await rejectsWithStatus(op.getItemByTitle(vaultId, `${prefix} none`), 404, /^No Items found with title$/);
    });

    it("getItemByTitle: two matches reject with the SDK's 400", async () => {
      await rejectsWithStatus(op.getItemByTitle(vaultId, dup), 400, /^Found multiple Items with given title/);
    });

    it("getItem with an ambiguous title rejects with the SDK's 400", async () => {
      await rejectsWithStatus(op.getItem(vaultId, dup), 400, /multiple Items/);
    });

    it("getItem without a query throws before any request", async () => {
      await assert.rejects(op.getItem(vaultId, ""), /Please provide either the item name or its ID/);
    });

    it("deleteItemByTitle with two matches rejects with the SDK's 400 and deletes nothing", async () => {
      await rejectsWithStatus(op.deleteItemByTitle(vaultId, dup), 400, /multiple Items/);
      assert.equal((await op.listItemsByTitle(vaultId, dup)).length, 2);
    });

    it("deleteItemByTitle with no match rejects with the SDK's 404", async () => {
      await rejectsWithStatus(op.deleteItemByTitle(vaultId, `${prefix} none`), 404, /No Items found/);
    });
  });

  describe("two vaults", () => {
    let otherId;
    let both;
    const shared = uniqueTitle("Same title");

    before(async () => {
      otherId = await srv.createVault("Second Vault");
      both = connect(srv.host, await srv.issueToken("items-both", [`${vaultId}:rw`, `${otherId}:rw`]));
    });

    it("title lookups are scoped to the vault asked for", async () => {
      const mk = (v) => both.createItem(v, new ItemBuilder().setCategory(ItemCategory.SecureNote).setTitle(shared).build());
      const a = await mk(vaultId);
      const b = await mk(otherId);
      assert.equal(a.vault.id, vaultId);
      assert.equal(b.vault.id, otherId);
      assert.equal((await both.getItemByTitle(vaultId, shared)).id, a.id);
      assert.equal((await both.getItemByTitle(otherId, shared)).id, b.id);
      assert.deepEqual((await both.listItemsByTitle(otherId, shared)).map((i) => i.id), [b.id]);
      assert.deepEqual((await both.listItems(otherId)).map((i) => i.id), [b.id]);
    });

    it("createItem puts the item in the vault of the path, whatever the body says", async () => {
      // setVault (deprecated) puts a vault in the body; createItem overwrites it with the path vault
      const built = new ItemBuilder().setVault(vaultId).setCategory(ItemCategory.SecureNote).setTitle(uniqueTitle("Path wins")).build();
      assert.equal(built.vault.id, vaultId);
      const item = await both.createItem(otherId, built);
      assert.equal(item.vault.id, otherId);
      assert.equal((await both.getItemById(otherId, item.id)).id, item.id);
      await rejectsWithStatus(both.getItemById(vaultId, item.id), 404);
    });

    it("an item is not reachable under the wrong vault", async () => {
      const item = await both.createItem(otherId, new ItemBuilder().setCategory(ItemCategory.SecureNote).setTitle(uniqueTitle("Wrong vault")).build());
      await rejectsWithStatus(both.getItemById(vaultId, item.id), 404);
      await rejectsWithStatus(both.deleteItemById(vaultId, item.id), 404);
      assert.equal((await both.getItemById(otherId, item.id)).id, item.id, "still there");
    });

    it("updateItem under another vault's path is rejected and changes nothing", async () => {
      const item = await both.createItem(otherId, new ItemBuilder().setCategory(ItemCategory.SecureNote).setTitle(uniqueTitle("Stay put")).build());
      const edit = await both.getItemById(otherId, item.id);
      edit.title = "moved?";
      await rejectsWithStatus(both.updateItem(vaultId, edit), [400, 404]);
      const now = await both.getItemById(otherId, item.id);
      assert.equal(now.title, item.title);
      assert.equal(now.vault.id, otherId);
      await rejectsWithStatus(both.getItemById(vaultId, item.id), 404);
    });
  });

  describe("many matches", () => {
    it("listItemsByTitleContains fetches 25 matches in parallel over keep-alive", async () => {
      const tag = uniqueTitle("Bulk").replace(/\s+/g, "-");
      const ids = [];
      for (let i = 0; i < 25; i++) {
        const built = new ItemBuilder()
          .setCategory(ItemCategory.Password)
          .setTitle(`${tag} #${String(i).padStart(2, "0")}`)
          .addField({ label: "password", type: FieldType.Concealed, purpose: FieldPurpose.Password, value: `pw-${i}` })
          .build();
        ids.push((await op.createItem(vaultId, built)).id);
      }
      const found = await op.listItemsByTitleContains(vaultId, tag);
      assert.deepEqual(found.map((i) => i.id).sort(), [...ids].sort());
      const values = found.map((i) => fieldByLabel(i, "password").value).sort();
      assert.deepEqual(values, Array.from({ length: 25 }, (_, i) => `pw-${i}`).sort());
    });
  });

  describe("updateItem (PUT v1/vaults/{v}/items/{id}) is a full replacement", () => {
    let original;
    let updated;
    let after1;
    const title = uniqueTitle("Compat Update");

    before(async () => {
      original = await op.createItem(vaultId, buildLogin(title));
      const edit = await op.getItemById(vaultId, original.id);
      edit.title = `${title} (renamed)`;
      // change one value, drop a field, add a new field, drop a URL and a tag
      fieldByLabel(edit, "Hostname").value = "db2.internal";
      edit.fields = edit.fields.filter((f) => f.label !== "Port");
      edit.fields.push({ label: "Added later", type: "STRING", purpose: "", value: "fresh" });
      edit.urls = edit.urls.filter((u) => u.primary);
      edit.tags = ["compat"];
      edit.favorite = false;
      updated = await op.updateItem(vaultId, edit);
      after1 = await op.getItemById(vaultId, original.id);
    });

    it("the PUT response is the updated item", async () => {
      assert.ok(updated instanceof FullItem);
      assert.equal(updated.id, original.id);
      assert.equal(updated.title, `${title} (renamed)`);
      assert.equal(fieldByLabel(updated, "Hostname").value, "db2.internal");
    });

    it("a later GET shows the new values", async () => {
      assert.equal(after1.title, `${title} (renamed)`);
      assert.equal(fieldByLabel(after1, "Hostname").value, "db2.internal");
      assert.equal(fieldByLabel(after1, "Added later").value, "fresh");
      assert.equal(fieldByLabel(after1, "username").value, "alice@example.com");
      assert.equal(fieldByLabel(after1, "password").value, fieldByLabel(original, "password").value, "the password is kept, not regenerated");
      assert.deepEqual(after1.tags, ["compat"]);
      assert.equal(after1.favorite, false);
      assert.deepEqual(after1.urls.map((u) => u.href), ["https://example.org/login"]);
    });

    it("fields left out of the PUT body are removed", async () => {
      assert.ok(!after1.fields.some((f) => f.label === "Port"), "Port is gone");
    });

    it("the item is found under its new title only", async () => {
      assert.equal((await op.getItemByTitle(vaultId, `${title} (renamed)`)).id, original.id);
      await rejectsWithStatus(op.getItemByTitle(vaultId, title), 404, /No Items found/);
    });

    it("version: the PUT response carries the pre-update version, a later GET the next one", async () => {
      assert.equal(original.version, 1);
      assert.equal(updated.version, 1, "Connect returns the pre-update version from PUT (Terraform relies on it)");
      assert.equal(after1.version, 2);
    });

    it("the list summary shows the new title and version", async () => {
      const summary = (await op.listItems(vaultId)).find((i) => i.id === original.id);
      assert.equal(summary.title, `${title} (renamed)`);
      assert.equal(summary.version, after1.version);
    });

    it("the vault's contentVersion increases with item changes", async () => {
      const v0 = (await op.getVaultById(vaultId)).contentVersion;
      const item = await op.createItem(vaultId, new ItemBuilder().setCategory(ItemCategory.SecureNote).setTitle(uniqueTitle("cv")).build());
      const v1 = (await op.getVaultById(vaultId)).contentVersion;
      assert.ok(v1 > v0, `create: ${v0} -> ${v1}`);
      const edit = await op.getItemById(vaultId, item.id);
      edit.tags = ["cv"];
      await op.updateItem(vaultId, edit);
      const v2 = (await op.getVaultById(vaultId)).contentVersion;
      assert.ok(v2 > v1, `update: ${v1} -> ${v2}`);
      await op.deleteItemById(vaultId, item.id);
      const v3 = (await op.getVaultById(vaultId)).contentVersion;
      assert.ok(v3 > v2, `delete: ${v2} -> ${v3}`);
    });

    it("createdAt is kept and updatedAt does not go backwards", async () => {
      assert.equal(after1.createdAt.getTime(), original.createdAt.getTime());
      assert.ok(after1.updatedAt.getTime() >= original.updatedAt.getTime());
    });

    it("a second update bumps the version again", async () => {
      const edit = await op.getItemById(vaultId, original.id);
      edit.tags = [];
      await op.updateItem(vaultId, edit);
      const again = await op.getItemById(vaultId, original.id);
      assert.equal(again.version, 3);
      assert.deepEqual(again.tags ?? [], []);
    });

    it("updating an unknown item rejects with 404", async () => {
      const ghost = await op.getItemById(vaultId, original.id);
      ghost.id = "abcdefghijklmnop1234567890";
      await rejectsWithStatus(op.updateItem(vaultId, ghost), 404);
    });

    it("updateItem without an item id throws before any request", async () => {
      const edit = await op.getItemById(vaultId, original.id);
      delete edit.id;
      await assert.rejects(op.updateItem(vaultId, edit), /Item ID must be defined/);
    });
  });

  describe("delete then get rejects", () => {
    const mk = async (title) =>
      op.createItem(vaultId, new ItemBuilder().setCategory(ItemCategory.SecureNote).setTitle(title).build());

    it("deleteItem by id", async () => {
      const item = await mk(uniqueTitle("Del by id"));
      assert.equal(await op.deleteItem(vaultId, item.id), undefined);
      await rejectsWithStatus(op.getItemById(vaultId, item.id), 404, /not found/);
    });

    it("deleteItem by title", async () => {
      const title = uniqueTitle("Del by title");
      const item = await mk(title);
      await op.deleteItem(vaultId, title);
      await rejectsWithStatus(op.getItemById(vaultId, item.id), 404, /not found/);
      await rejectsWithStatus(op.getItemByTitle(vaultId, title), 404, /No Items found/);
    });

    it("deleteItemById", async () => {
      const item = await mk(uniqueTitle("Del ById"));
      assert.equal(await op.deleteItemById(vaultId, item.id), undefined);
      await rejectsWithStatus(op.getItem(vaultId, item.id), 404, /not found/);
      assert.ok(!(await op.listItems(vaultId)).some((i) => i.id === item.id), "no longer listed");
    });

    it("deleteItemByTitle", async () => {
      const title = uniqueTitle("Del ByTitle");
      const item = await mk(title);
      await op.deleteItemByTitle(vaultId, title);
      await rejectsWithStatus(op.getItemById(vaultId, item.id), 404, /not found/);
    });

    it("deleting twice rejects with 404", async () => {
      const item = await mk(uniqueTitle("Del twice"));
      await op.deleteItemById(vaultId, item.id);
      await rejectsWithStatus(op.deleteItemById(vaultId, item.id), 404);
    });

    it("deleteItem without a query throws before any request", async () => {
      await assert.rejects(op.deleteItem(vaultId, ""), /Please provide either the item name or its ID/);
    });

    it("the vault's item count follows creates and deletes", async () => {
      const before1 = (await op.getVaultById(vaultId)).items;
      const item = await mk(uniqueTitle("Counted"));
      assert.equal((await op.getVaultById(vaultId)).items, before1 + 1);
      await op.deleteItemById(vaultId, item.id);
      assert.equal((await op.getVaultById(vaultId)).items, before1);
    });
  });
});
