// The package's public surface, pinned: if @1password/connect ever exposes a
// method this suite does not know, this file fails, so the suite is extended
// before it silently stops covering "every method".

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as esm from "@1password/connect";
import { sdk, clientMethodNames } from "./support/util.mjs";
import { CLIENT_METHODS } from "./support/surface.mjs";


describe("package surface of @1password/connect", () => {
  it("is version 1.4.2", async () => {
    const { createRequire } = await import("node:module");
    const require = createRequire(import.meta.url);
    assert.equal(require("@1password/connect/package.json").version, "1.4.2");
  });

  it("exports exactly the known runtime names", () => {
    assert.deepEqual(Object.keys(sdk).sort(), [
      "FieldPurpose",
      "FieldType",
      "FullItem",
      "GeneratorRecipe",
      "ItemBuilder",
      "ItemCategory",
      "OPConnect",
      "OnePasswordConnect",
      "Vault",
    ]);
  });

  it("named ESM imports work", () => {
    assert.equal(typeof esm.OnePasswordConnect, "function");
    assert.equal(typeof esm.ItemBuilder, "function");
    assert.equal(esm.ItemCategory.Login, "LOGIN");
  });

  it("the client has exactly the methods this suite covers", () => {
    assert.deepEqual(clientMethodNames().sort(), [...CLIENT_METHODS].sort());
  });

  it("the client exposes no health or heartbeat call (those endpoints are not reachable through the SDK)", () => {
    for (const name of ["getHealth", "heartbeat", "health", "getHeartbeat"]) {
      assert.equal(typeof sdk.OPConnect.prototype[name], "undefined", name);
    }
  });

  it("ItemBuilder has the known builder methods", () => {
    const names = Object.getOwnPropertyNames(sdk.ItemBuilder.prototype).filter((n) => n !== "constructor").sort();
    assert.deepEqual(names, [
      "addField",
      "addSection",
      "addTag",
      "addUrl",
      "build",
      "getOrCreateSection",
      "reset",
      "setCategory",
      "setTitle",
      "setVault",
      "toggleFavorite",
    ]);
  });

  it("OnePasswordConnect validates its options before any request", () => {
    assert.throws(() => sdk.OnePasswordConnect({ serverURL: "", token: "t" }), /serverURL and token are required/);
    assert.throws(() => sdk.OnePasswordConnect({ serverURL: "http://127.0.0.1:1", token: "" }), /serverURL and token are required/);
  });

  it("ItemBuilder builds what the suite sends: Section_ ids, purpose \"\" on every field, primary URL", () => {
    const built = new sdk.ItemBuilder()
      .setCategory(sdk.ItemCategory.Server)
      .setTitle("t")
      .addSection("Extra")
      .addField({ label: "a", value: "1", sectionName: "Connection Details" })
      .addField({ label: "b", value: "2", sectionName: "connection details" })
      .addUrl({ href: "https://a.example" })
      .addUrl({ href: "https://b.example", primary: true })
      .addTag("x")
      .build();
    assert.equal(built.sections.length, 2, "sections are de-duplicated by slug");
    for (const s of built.sections) assert.match(s.id, /^Section_[0-9a-f]{26}$/);
    assert.equal(built.fields[0].section.id, built.fields[1].section.id);
    for (const f of built.fields) {
      assert.equal(f.purpose, "");
      assert.equal(f.type, "STRING");
      assert.equal(f.generate, false);
    }
    assert.deepEqual(built.urls, [{ href: "https://a.example" }, { primary: true, href: "https://b.example" }]);
    assert.throws(() => new sdk.ItemBuilder().setCategory("NOT_A_CATEGORY"), /Item Category is invalid/);
    assert.throws(() => new sdk.ItemBuilder().build(), /Item Category is required/);
  });
});
