// getItemOTP: the SDK reads the `totp` property of the item's first OTP field.
// Every code is checked against an RFC 6238 computation made here with
// node:crypto, allowing the adjacent 30 s windows.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { startLatchkey } from "./support/server.mjs";
import { connect, sdk, fieldByLabel, uniqueTitle, hotp, totpWindow, base32Decode } from "./support/util.mjs";

const { ItemBuilder, ItemCategory, FieldType } = sdk;

const DEMO_OTP = "otpauth://totp/latchkey:demo?secret=JBSWY3DPEHPK3PXP&issuer=latchkey";

describe("the test's own TOTP implementation", () => {
  // RFC 6238 appendix B, SHA1 seed "12345678901234567890", 8 digits.
  const key = Buffer.from("12345678901234567890", "ascii");
  for (const [t, code] of [
    [59, "94287082"],
    [1111111109, "07081804"],
    [1234567890, "89005924"],
    [2000000000, "69279037"],
  ]) {
    it(`T=${t} gives ${code}`, () => assert.equal(hotp(key, Math.floor(t / 30), 8), code));
  }

  it("base32 decoding", () => {
    assert.equal(base32Decode("JBSWY3DPEHPK3PXP").toString("latin1"), "Hello!\xde\xad\xbe\xef");
  });
});

describe("getItemOTP", () => {
  let srv;
  let op;
  let vaultId;

  before(async () => {
    srv = await startLatchkey({ label: "otp" });
    op = connect(srv.host, srv.token);
    [{ id: vaultId }] = await op.listVaults();
  });

  after(async () => {
    await srv?.stop();
  });

  function assertCurrentCode(code, uri) {
    assert.equal(typeof code, "string");
    const window = totpWindow(uri);
    assert.ok(window.includes(code), `code ${code} not in the RFC 6238 window ${window.join(",")} for ${uri}`);
  }

  it("the demo API Token item, by title", async () => {
    const code = await op.getItemOTP(vaultId, "API Token");
    assert.match(code, /^[0-9]{6}$/);
    assertCurrentCode(code, DEMO_OTP);
  });

  it("the demo API Token item, by id; the OTP field keeps its otpauth URI and section", async () => {
    const item = await op.getItemByTitle(vaultId, "API Token");
    const otpField = item.fields.find((f) => f.type === "OTP");
    assert.ok(otpField, "an OTP field");
    assert.equal(otpField.value, DEMO_OTP);
    assert.equal(otpField.section?.id, "mfa");
    assert.equal(typeof otpField.otp, "string", "the server sends `totp`, which the SDK maps to `otp`");
    assertCurrentCode(otpField.otp, DEMO_OTP);
    assertCurrentCode(await op.getItemOTP(vaultId, item.id), DEMO_OTP);
  });

  it("an OTP field created through ItemBuilder (type OTP, in a section)", async () => {
    const uri = "otpauth://totp/Example:carol@example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Example";
    const built = new ItemBuilder()
      .setCategory(ItemCategory.Login)
      .setTitle(uniqueTitle("OTP login"))
      .addField({ label: "username", value: "carol", purpose: "USERNAME" })
      .addField({ label: "one-time password", type: FieldType.Otp, value: uri, sectionName: "Security" })
      .build();
    assert.equal(built.fields[1].type, "OTP");
    const item = await op.createItem(vaultId, built);
    const f = fieldByLabel(item, "one-time password");
    assert.equal(f.type, "OTP");
    assert.equal(f.value, uri);
    assertCurrentCode(f.otp, uri);
    assertCurrentCode(await op.getItemOTP(vaultId, item.id), uri);
    assertCurrentCode(await op.getItemOTP(vaultId, item.title), uri);
  });

  it("the deprecated FieldType.Totp alias also sends OTP and works", async () => {
    const uri = "otpauth://totp/alias?secret=MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U";
    const item = await op.createItem(
      vaultId,
      new ItemBuilder()
        .setCategory(ItemCategory.APICredential)
        .setTitle(uniqueTitle("OTP alias"))
        .addField({ label: "otp", type: FieldType.Totp, value: uri })
        .build(),
    );
    assert.equal(fieldByLabel(item, "otp").type, "OTP");
    assertCurrentCode(await op.getItemOTP(vaultId, item.id), uri);
  });

  it("otpauth parameters: 8 digits, 60 s period, SHA256", async () => {
    const uri = "otpauth://totp/params?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&digits=8&period=60&algorithm=SHA256";
    const item = await op.createItem(
      vaultId,
      new ItemBuilder()
        .setCategory(ItemCategory.APICredential)
        .setTitle(uniqueTitle("OTP params"))
        .addField({ label: "otp", type: FieldType.Otp, value: uri })
        .build(),
    );
    const code = await op.getItemOTP(vaultId, item.id);
    assert.match(code, /^[0-9]{8}$/);
    assertCurrentCode(code, uri);
  });

  it("with two OTP fields, the first one's code is returned", async () => {
    const first = "otpauth://totp/first?secret=JBSWY3DPEHPK3PXP";
    const second = "otpauth://totp/second?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    const item = await op.createItem(
      vaultId,
      new ItemBuilder()
        .setCategory(ItemCategory.APICredential)
        .setTitle(uniqueTitle("OTP twice"))
        .addField({ label: "first otp", type: FieldType.Otp, value: first })
        .addField({ label: "second otp", type: FieldType.Otp, value: second })
        .build(),
    );
    // Both secrets' windows are disjoint with overwhelming probability; check
    // the code belongs to the first one.
    assertCurrentCode(await op.getItemOTP(vaultId, item.id), first);
    assertCurrentCode(fieldByLabel(item, "second otp").otp, second);
  });

  it("the code follows an updated secret", async () => {
    const before1 = "otpauth://totp/rot?secret=JBSWY3DPEHPK3PXP";
    const after1 = "otpauth://totp/rot?secret=KRSXG5CTMVRXEZLUKN2XAZLSKNSWG4TFOQ";
    const item = await op.createItem(
      vaultId,
      new ItemBuilder()
        .setCategory(ItemCategory.APICredential)
        .setTitle(uniqueTitle("OTP rotate"))
        .addField({ label: "otp", type: FieldType.Otp, value: before1 })
        .build(),
    );
    assertCurrentCode(await op.getItemOTP(vaultId, item.id), before1);
    const edit = await op.getItemById(vaultId, item.id);
    fieldByLabel(edit, "otp").value = after1;
    await op.updateItem(vaultId, edit);
    assertCurrentCode(await op.getItemOTP(vaultId, item.id), after1);
  });

  it("an item without an OTP field rejects with the SDK's error", async () => {
    const item = await op.getItemByTitle(vaultId, "Example Login");
    await assert.rejects(op.getItemOTP(vaultId, item.id), (err) => {
      assert.ok(err instanceof Error);
      assert.equal(err.message, `No OTP found for the Item ${item.id}`);
      return true;
    });
  });

  it("an unknown item rejects with the server's 404", async () => {
    await assert.rejects(op.getItemOTP(vaultId, "abcdefghijklmnop1234567890"), (err) => {
      assert.deepEqual(Object.keys(err).sort(), ["message", "status"]);
      assert.equal(err.status, 404);
      return true;
    });
  });
});
