// Generated values: ItemBuilder.addField({generate: true, recipe}) and what
// latchkey generates for each recipe (length, character sets, exclusions).

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { startLatchkey } from "./support/server.mjs";
import { connect, rejectsWithStatus, sdk, fieldByLabel, uniqueTitle } from "./support/util.mjs";

const { ItemBuilder, ItemCategory, FieldType, FieldPurpose } = sdk;

const LETTERS = /[A-Za-z]/;
const DIGITS = /[0-9]/;
// "Symbols" here means printable, non-space ASCII that is neither a letter nor a digit.
const SYMBOL = /[!-/:-@[-`{-~]/;

describe("generated values (generate + recipe)", () => {
  let srv;
  let op;
  let vaultId;

  before(async () => {
    srv = await startLatchkey({ label: "generate" });
    op = connect(srv.host, srv.token);
    [{ id: vaultId }] = await op.listVaults();
  });

  after(async () => {
    await srv?.stop();
  });

  /** Create a PASSWORD item whose password field is generated with `recipe`; returns [created, fetched] field values. */
  async function generate(recipe, { purpose = FieldPurpose.Password, label = "password" } = {}) {
    const built = new ItemBuilder()
      .setCategory(ItemCategory.Password)
      .setTitle(uniqueTitle("Generated"))
      .addField({ label, type: FieldType.Concealed, purpose, generate: true, recipe })
      .build();
    const created = await op.createItem(vaultId, built);
    const fetched = await op.getItemById(vaultId, created.id);
    const c = fieldByLabel(created, label);
    const f = fieldByLabel(fetched, label);
    assert.equal(typeof c.value, "string", "a value was generated");
    assert.equal(f.value, c.value, "GET returns the value the create returned");
    return { value: c.value, field: c, item: created };
  }

  it("the builder sends generate:true with the recipe", () => {
    const built = new ItemBuilder()
      .setCategory(ItemCategory.Password)
      .addField({ label: "p", generate: true, recipe: { length: 12, characterSets: ["DIGITS", "DIGITS"] } })
      .build();
    assert.equal(built.fields[0].generate, true);
    assert.deepEqual(built.fields[0].recipe, { length: 12, characterSets: ["DIGITS"], excludeCharacters: "" });
  });

  it("letters and digits, length 40", async () => {
    const { value } = await generate({ length: 40, characterSets: ["LETTERS", "DIGITS"] });
    assert.equal(value.length, 40);
    assert.match(value, /^[A-Za-z0-9]+$/);
  });

  it("digits only, length 12", async () => {
    const { value } = await generate({ length: 12, characterSets: ["DIGITS"] });
    assert.match(value, /^[0-9]{12}$/);
  });

  it("letters only, length 64 (the maximum)", async () => {
    const { value } = await generate({ length: 64, characterSets: ["LETTERS"] });
    assert.match(value, /^[A-Za-z]{64}$/);
  });

  it("symbols only, length 20", async () => {
    const { value } = await generate({ length: 20, characterSets: ["SYMBOLS"] });
    assert.equal(value.length, 20);
    for (const ch of value) assert.match(ch, SYMBOL, `${JSON.stringify(ch)} is a symbol`);
  });

  it("length 1 (the minimum)", async () => {
    const { value } = await generate({ length: 1, characterSets: ["LETTERS", "DIGITS"] });
    assert.match(value, /^[A-Za-z0-9]$/);
  });

  it("all three sets, length 64: every character is from one of them", async () => {
    const { value } = await generate({ length: 64, characterSets: ["LETTERS", "DIGITS", "SYMBOLS"] });
    assert.equal(value.length, 64);
    for (const ch of value) assert.ok(LETTERS.test(ch) || DIGITS.test(ch) || SYMBOL.test(ch), `${JSON.stringify(ch)}`);
  });

  it("excludeCharacters removes those characters", async () => {
    const exclude = "aeiouAEIOU0123456789";
    const { value } = await generate({ length: 64, characterSets: ["LETTERS", "DIGITS"], excludeCharacters: exclude });
    assert.equal(value.length, 64);
    assert.match(value, /^[A-Za-z0-9]+$/);
    for (const ch of exclude) assert.ok(!value.includes(ch), `${ch} excluded from ${value}`);
  });

  it("excludeCharacters on symbols", async () => {
    const exclude = "!@#$%^&*()[]{}<>";
    const { value } = await generate({ length: 50, characterSets: ["SYMBOLS"], excludeCharacters: exclude });
    assert.equal(value.length, 50);
    for (const ch of value) {
      assert.match(ch, SYMBOL);
      assert.ok(!exclude.includes(ch), `${ch} excluded`);
    }
  });

  it("a recipe with only a length uses that length (the builder sends characterSets: [])", async () => {
    const { value } = await generate({ length: 20 });
    assert.equal(value.length, 20);
  });

  it("an empty recipe gives the default: 32 characters", async () => {
    const { value } = await generate({});
    assert.equal(value.length, 32);
    for (const ch of value) assert.ok(LETTERS.test(ch) || DIGITS.test(ch) || SYMBOL.test(ch), `${JSON.stringify(ch)}`);
  });

  it("two generations differ", async () => {
    const a = await generate({ length: 32, characterSets: ["LETTERS", "DIGITS"] });
    const b = await generate({ length: 32, characterSets: ["LETTERS", "DIGITS"] });
    assert.notEqual(a.value, b.value);
  });

  it("a generated PASSWORD-purpose field reports its entropy", async () => {
    const { field } = await generate({ length: 32, characterSets: ["LETTERS", "DIGITS"] });
    assert.equal(typeof field.entropy, "number");
    assert.ok(field.entropy > 100 && field.entropy < 250, `entropy ${field.entropy} for 32 alnum chars (~190 bits)`);
  });

  it("a generated field without a purpose, inside a section, is generated too", async () => {
    const built = new ItemBuilder()
      .setCategory(ItemCategory.Server)
      .setTitle(uniqueTitle("Generated in section"))
      .addField({
        label: "api secret",
        type: FieldType.Concealed,
        sectionName: "Secrets",
        generate: true,
        recipe: { length: 24, characterSets: ["DIGITS"] },
      })
      .build();
    const item = await op.createItem(vaultId, built);
    const f = fieldByLabel(item, "api secret");
    assert.match(f.value, /^[0-9]{24}$/);
    assert.ok(item.sections.some((s) => s.id === f.section?.id && s.label === "Secrets"));
  });

  it("a recipe length above 64 is rejected with 400", async () => {
    const built = new ItemBuilder()
      .setCategory(ItemCategory.Password)
      .setTitle(uniqueTitle("Too long"))
      .addField({ label: "password", type: FieldType.Concealed, purpose: FieldPurpose.Password, generate: true, recipe: { length: 65 } })
      .build();
    await rejectsWithStatus(op.createItem(vaultId, built), 400);
  });

  it("the builder refuses an unknown character set before any request", () => {
    assert.throws(
      () => new ItemBuilder().setCategory(ItemCategory.Password).addField({ label: "p", generate: true, recipe: { characterSets: ["EMOJI"] } }),
      /invalid Recipe/,
    );
  });

  it("an update keeps a generated value unless asked to generate again", async () => {
    const { item } = await generate({ length: 30, characterSets: ["LETTERS"] });
    const original = fieldByLabel(item, "password").value;
    const edit = await op.getItemById(vaultId, item.id);
    edit.title = `${edit.title} (edited)`;
    await op.updateItem(vaultId, edit);
    assert.equal(fieldByLabel(await op.getItemById(vaultId, item.id), "password").value, original);

    const regen = await op.getItemById(vaultId, item.id);
    const f = fieldByLabel(regen, "password");
    f.generate = true;
    f.recipe = { length: 16, characterSets: ["DIGITS"] };
    delete f.value;
    await op.updateItem(vaultId, regen);
    const after2 = fieldByLabel(await op.getItemById(vaultId, item.id), "password").value;
    assert.match(after2, /^[0-9]{16}$/, "regenerated on update with the new recipe");
  });
});
