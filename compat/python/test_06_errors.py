"""Negative paths: out-of-scope vaults, read-only / write-only tokens, revoked,
expired and garbage tokens, unknown items, malformed ids, forbidden categories.

Every failure must surface as the SDK's documented exception type carrying the
server's message; a crash inside the client (JSONDecodeError, AttributeError,
ValueError from a model) fails these tests because pytest.raises only accepts
the SDK exception classes.
"""
import asyncio
import base64
import json
import re
import time
import uuid

import pytest
from onepasswordconnectsdk.errors import (
    FailedToRetrieveItemException,
    FailedToRetrieveVaultException,
)
from onepasswordconnectsdk.models import Field, Item, ItemVault

from support import error_text, run, unique

UNKNOWN_ID = "abcdefghijklmnop1234567890"
FORBIDDEN_MESSAGES = (
    "Authorization: token does not have access to vault",  # observed from real Connect
    "is not in scope",                                     # spec example wording
)


def server_message(exc: BaseException) -> str:
    """The part of the SDK's message that came from the server's JSON body."""
    text = error_text(exc)
    m = re.search(r"with message:? (.*)$", text)
    assert m, f"SDK message carries no server message: {text!r}"
    msg = m.group(1).strip()
    assert msg and msg != "None", f"server error body had no message: {text!r}"
    return msg


def assert_error(exc_info, status: int, *fragments: str) -> str:
    text = error_text(exc_info.value)
    assert f"Received {status}" in text, text
    msg = server_message(exc_info.value)
    if fragments:
        assert any(f.lower() in msg.lower() for f in fragments), f"{msg!r} lacks any of {fragments}"
    return msg


def assert_forbidden(exc_info) -> str:
    return assert_error(exc_info, 403, *FORBIDDEN_MESSAGES)


def _note(vault_id: str, title: str = None) -> Item:
    return Item(
        title=title or unique("Compat denied"),
        category="SECURE_NOTE",
        vault=ItemVault(id=vault_id),
        fields=[Field(purpose="NOTES", label="notesPlain", value="should not be stored")],
    )


async def test_token_scoped_to_another_vault(make_client, world):
    other = make_client(world.tokens.other)
    demo = world.demo_vault
    login = world.demo_items["Example Login"]
    doc = world.demo_items["Welcome Document"]

    with pytest.raises(FailedToRetrieveVaultException) as exc:
        await run(other.get_vault(demo))
    assert_forbidden(exc)

    with pytest.raises(FailedToRetrieveItemException) as exc:
        await run(other.get_items(demo))
    assert_forbidden(exc)

    with pytest.raises(FailedToRetrieveItemException) as exc:
        await run(other.get_item_by_id(login, demo))
    assert exc.value.status_code == 403
    assert_forbidden(exc)

    # get_item only falls back to a title lookup on 404, so 403 propagates.
    with pytest.raises(FailedToRetrieveItemException) as exc:
        await run(other.get_item(login, demo))
    assert exc.value.status_code == 403

    with pytest.raises(FailedToRetrieveItemException) as exc:
        await run(other.get_item_by_title("Example Login", demo))
    assert_forbidden(exc)

    with pytest.raises(FailedToRetrieveItemException) as exc:
        await run(other.get_files(doc, demo))
    assert_forbidden(exc)

    with pytest.raises(FailedToRetrieveItemException) as exc:
        await run(other.get_file(UNKNOWN_ID, doc, demo))
    assert_forbidden(exc)

    with pytest.raises(FailedToRetrieveItemException) as exc:
        await run(other.get_file_content(UNKNOWN_ID, doc, demo))
    assert_forbidden(exc)

    with pytest.raises(FailedToRetrieveItemException) as exc:
        await run(other.create_item(demo, _note(demo)))
    assert_forbidden(exc)

    with pytest.raises(FailedToRetrieveItemException) as exc:
        await run(other.update_item(login, demo, _note(demo, "Example Login")))
    assert_forbidden(exc)

    with pytest.raises(FailedToRetrieveItemException) as exc:
        await run(other.delete_item(login, demo))
    assert_forbidden(exc)

    # Nothing changed in Demo.
    with world.raw(world.tokens.dev) as http:
        resp = http.get(f"/v1/vaults/{demo}/items/{login}")
        assert resp.status_code == 200 and resp.json()["title"] == "Example Login"
        assert resp.json()["version"] == 1
        assert len(http.get(f"/v1/vaults/{demo}/items").json()) == 5


async def test_unknown_vault_id_is_forbidden(client, world):
    # A well-formed vault id outside the token (even one that does not exist)
    # gives 403 on Connect (1Password Connect's API reference).
    with pytest.raises(FailedToRetrieveVaultException) as exc:
        await run(client.get_vault(UNKNOWN_ID))
    assert_forbidden(exc)
    with pytest.raises(FailedToRetrieveItemException) as exc:
        await run(client.create_item(UNKNOWN_ID, _note(UNKNOWN_ID)))
    assert_forbidden(exc)


async def test_read_only_token_cannot_write(make_client, world, cleanup):
    reader = make_client(world.tokens.work_read)
    writer = make_client(world.tokens.work)
    existing = await run(writer.create_item(world.work_vault, _note(world.work_vault, unique("Compat ro"))))
    cleanup.append((world.work_vault, existing.id))

    # Reading is allowed.
    got = await run(reader.get_item_by_id(existing.id, world.work_vault))
    assert got.id == existing.id
    assert existing.id in {i.id for i in await run(reader.get_items(world.work_vault))}

    with pytest.raises(FailedToRetrieveItemException) as exc:
        await run(reader.create_item(world.work_vault, _note(world.work_vault)))
    assert_error(exc, 403)
    with pytest.raises(FailedToRetrieveItemException) as exc:
        await run(reader.update_item(existing.id, world.work_vault, _note(world.work_vault, "changed")))
    assert_error(exc, 403)
    with pytest.raises(FailedToRetrieveItemException) as exc:
        await run(reader.delete_item(existing.id, world.work_vault))
    assert_error(exc, 403)

    after = await run(writer.get_item_by_id(existing.id, world.work_vault))
    assert after.version == 1 and after.title == existing.title


async def test_write_only_token_cannot_read_items(make_client, world, cleanup):
    writer = make_client(world.tokens.work)
    write_only = make_client(world.tokens.work_write)
    existing = await run(writer.create_item(world.work_vault, _note(world.work_vault, unique("Compat wo"))))
    cleanup.append((world.work_vault, existing.id))
    with pytest.raises(FailedToRetrieveItemException) as exc:
        await run(write_only.get_item_by_id(existing.id, world.work_vault))
    assert exc.value.status_code == 403
    assert_error(exc, 403)


async def test_revoked_token_is_refused(make_client, world, flavor):
    name = f"py-revoke-{flavor}-{uuid.uuid4().hex[:6]}"
    token = world.lk.token_issue(name, f"{world.demo_vault}:r")
    c = make_client(token)
    assert [v.id for v in await run(c.get_vaults())] == [world.demo_vault]

    world.lk.token_revoke(name)
    deadline = time.monotonic() + 1.5  # "refused within 1 s", plus slack
    refused = None
    while time.monotonic() < deadline:
        try:
            await run(c.get_vaults())
        except FailedToRetrieveVaultException as e:
            refused = e
            break
        await asyncio.sleep(0.05)
    assert refused is not None, "revoked token still accepted after 1.5 s"
    assert "Received 401" in error_text(refused)
    assert "invalid bearer token" in server_message(refused).lower()

    with pytest.raises(FailedToRetrieveItemException) as exc:
        await run(c.get_item_by_id(world.demo_items["Example Login"], world.demo_vault))
    assert exc.value.status_code == 401


async def test_expired_token_is_refused(make_client, world, flavor):
    token = world.lk.token_issue(
        f"py-expire-{flavor}-{uuid.uuid4().hex[:6]}", f"{world.demo_vault}:r", expires_in="3s"
    )
    c = make_client(token)
    assert len(await run(c.get_vaults())) == 1
    await asyncio.sleep(4.1)
    with pytest.raises(FailedToRetrieveVaultException) as exc:
        await run(c.get_vaults())
    assert_error(exc, 401, "Invalid bearer token")


def _b64url_decode(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def _b64url_encode(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).decode().rstrip("=")


def _tampered_signature(token: str) -> str:
    header, payload, sig = token.split(".")
    raw = bytearray(_b64url_decode(sig))
    raw[len(raw) // 2] ^= 0x01
    return f"{header}.{payload}.{_b64url_encode(bytes(raw))}"


def _escalated_payload(token: str, extra_vault: str) -> str:
    header, payload, sig = token.split(".")
    claims = json.loads(_b64url_decode(payload))
    claims["1password.com/vts"].append({"u": extra_vault, "a": 1008})
    return f"{header}.{_b64url_encode(json.dumps(claims, separators=(',', ':')).encode())}.{sig}"


@pytest.mark.parametrize("kind", ["garbage", "three-dots", "bad-signature", "forged-claims"])
async def test_invalid_token(make_client, world, kind):
    token = {
        "garbage": lambda: "garbage",
        "three-dots": lambda: "a.b.c",
        "bad-signature": lambda: _tampered_signature(world.tokens.other),
        "forged-claims": lambda: _escalated_payload(world.tokens.other, world.demo_vault),
    }[kind]()
    c = make_client(token)
    with pytest.raises(FailedToRetrieveVaultException) as exc:
        await run(c.get_vaults())
    # Both wordings are Connect's (1Password Connect's API reference).
    assert_error(exc, 401, "Invalid bearer token", "Invalid token signature")
    with pytest.raises(FailedToRetrieveItemException) as exc:
        await run(c.get_item_by_id(world.demo_items["Example Login"], world.demo_vault))
    assert exc.value.status_code == 401


async def test_unknown_item(client, world):
    with pytest.raises(FailedToRetrieveItemException) as exc:
        await run(client.get_item_by_id(UNKNOWN_ID, world.demo_vault))
    assert exc.value.status_code == 404
    assert_error(exc, 404, "not found")

    with pytest.raises(FailedToRetrieveItemException) as exc:
        await run(client.update_item(UNKNOWN_ID, world.work_vault, _note(world.work_vault)))
    assert_error(exc, 404, "not found")

    with pytest.raises(FailedToRetrieveItemException) as exc:
        await run(client.delete_item(UNKNOWN_ID, world.work_vault))
    assert_error(exc, 404, "not found")

    with pytest.raises(FailedToRetrieveItemException) as exc:
        await run(client.get_files(UNKNOWN_ID, world.demo_vault))
    assert_error(exc, 404, "not found")


@pytest.mark.parametrize("bad_id", ["not-an-id", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "short"])
async def test_malformed_item_id(client, world, bad_id):
    with pytest.raises(FailedToRetrieveItemException) as exc:
        await run(client.get_item_by_id(bad_id, world.demo_vault))
    assert exc.value.status_code == 400
    assert_error(exc, 400, "Invalid Item UUID")
    with pytest.raises(FailedToRetrieveItemException) as exc:
        await run(client.delete_item(bad_id, world.work_vault))
    assert_error(exc, 400, "Invalid Item UUID")
    with pytest.raises(FailedToRetrieveItemException) as exc:
        await run(client.get_files(bad_id, world.demo_vault))
    assert_error(exc, 400, "Invalid Item UUID")


@pytest.mark.parametrize("bad_id", ["not-a-vault", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"])
async def test_malformed_vault_id(client, world, bad_id):
    with pytest.raises(FailedToRetrieveVaultException) as exc:
        await run(client.get_vault(bad_id))
    assert_error(exc, 400, "Invalid Vault UUID")
    with pytest.raises(FailedToRetrieveItemException) as exc:
        await run(client.get_items(bad_id))
    assert_error(exc, 400, "Invalid Vault UUID")
    with pytest.raises(FailedToRetrieveItemException) as exc:
        await run(client.get_item_by_id(world.demo_items["Example Login"], bad_id))
    assert exc.value.status_code == 400
    assert_error(exc, 400, "Invalid Vault UUID")


@pytest.mark.parametrize("category", ["DOCUMENT", "CUSTOM"])
async def test_uncreatable_categories_are_rejected(client, world, category):
    item = Item(
        title=unique(f"Compat {category}"),
        category=category,
        vault=ItemVault(id=world.work_vault),
        fields=[Field(label="x", value="y")],
    )
    with pytest.raises(FailedToRetrieveItemException) as exc:
        await run(client.create_item(world.work_vault, item))
    assert_error(exc, 400)
    leftover = await run(client.get_items(world.work_vault, f'title eq "{item.title}"'))
    assert leftover == []


@pytest.mark.parametrize(
    "filter_query",
    ["title eq", '(title eq "x"', 'bogus eq "x"', 'title eq "a" or', "title eq 'Example Login'"],
)
async def test_malformed_filter_is_a_json_400(client, world, filter_query):
    with pytest.raises(FailedToRetrieveItemException) as exc:
        await run(client.get_items(world.demo_vault, filter_query))
    assert_error(exc, 400)


@pytest.mark.parametrize("title", ['say "hi"', "O'Brien's login", "back\\slash", "semi;colon&amp=1"])
async def test_title_lookup_with_odd_characters_never_crashes(client, world, title):
    # The SDK interpolates titles into the filter unescaped; whatever the server
    # makes of that, the SDK must end in its own exception, not a crash.
    with pytest.raises(FailedToRetrieveItemException) as exc:
        await run(client.get_item_by_title(title, world.demo_vault))
    text = error_text(exc.value)
    assert "Found 0 items" in text or "Received 400" in text, text
