"""Client construction and low-level helpers: new_client, new_client_from_environment,
ClientConfig, build_headers, create_session, build_request, deserialize,
sanitize_for_serialization (sync and async)."""
import re

import httpx
import pytest
from onepasswordconnectsdk.async_client import AsyncClient
from onepasswordconnectsdk.client import Client
from onepasswordconnectsdk.config import ClientConfig
from onepasswordconnectsdk.models import Field, GeneratorRecipe, Item, ItemVault, Vault

import support
from support import run


async def test_new_client_from_environment(world, monkeypatch, flavor):
    monkeypatch.setenv("OP_CONNECT_HOST", world.host)
    monkeypatch.setenv("OP_CONNECT_TOKEN", world.tokens.dev)
    if flavor == "async":
        monkeypatch.setenv("OP_CONNECT_CLIENT_ASYNC", "True")
    else:
        monkeypatch.delenv("OP_CONNECT_CLIENT_ASYNC", raising=False)
    inner = support.new_client_from_environment()
    assert isinstance(inner, AsyncClient if flavor == "async" else Client)
    c = support.Recorded(inner, flavor)
    try:
        vaults = await run(c.get_vaults())
        assert [v.name for v in vaults] == ["Demo"]
    finally:
        await support.close_client(c)


async def test_client_config_passes_httpx_options(make_client, world):
    # ClientConfig(**httpx_opts) overrides the client's httpx arguments.
    cfg = ClientConfig(timeout=httpx.Timeout(10.0), follow_redirects=False)
    c = make_client(world.tokens.dev, config=cfg)
    assert c.session.timeout == httpx.Timeout(10.0)
    demo = await run(c.get_vault(world.demo_vault))
    assert demo.name == "Demo"


async def test_build_headers_and_create_session(client, world):
    headers = client.build_headers("tok")
    assert headers == {"Authorization": "Bearer tok", "Content-Type": "application/json"}
    session = client.create_session(world.host, world.tokens.dev)
    try:
        assert session.headers["authorization"] == f"Bearer {world.tokens.dev}"
        assert str(session.base_url).rstrip("/") == world.host.rstrip("/")
    finally:
        if isinstance(session, httpx.AsyncClient):
            await session.aclose()
        else:
            session.close()


async def test_build_request_and_deserialize(client, world):
    resp = await run(client.build_request("GET", "/v1/vaults"))
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("application/json")
    # Every API response carries a numeric X.Y.Z Connect version header.
    assert re.fullmatch(r"\d+\.\d+\.\d+", resp.headers.get("1Password-Connect-Version", "")), resp.headers
    vaults = client.deserialize(resp.content, "list[Vault]")
    assert vaults and all(isinstance(v, Vault) for v in vaults)
    assert world.demo_vault in {v.id for v in vaults}

    # An error response is JSON {status, message} with the matching status.
    resp = await run(client.build_request("GET", f"/v1/vaults/{world.demo_vault}/items/abcdefghijklmnop1234567890"))
    assert resp.status_code == 404
    assert resp.headers["content-type"].startswith("application/json")
    body = resp.json()
    assert body["status"] == 404 and isinstance(body["message"], str) and body["message"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", resp.headers.get("1Password-Connect-Version", "")), resp.headers


async def test_build_request_with_body_and_sanitize(client, world, cleanup):
    item = Item(
        title=support.unique("Compat raw"),
        category="PASSWORD",
        vault=ItemVault(id=world.work_vault),
        fields=[Field(purpose="PASSWORD", label="password", type="CONCEALED", generate=True,
                      recipe=GeneratorRecipe(length=20, character_sets=["LETTERS"]))],
    )
    body = client.sanitize_for_serialization(item)
    assert body["title"] == item.title
    assert body["fields"][0]["recipe"] == {"length": 20, "characterSets": ["LETTERS"]}
    assert body["trashed"] is False and body["favorite"] is False

    resp = await run(client.build_request("POST", f"/v1/vaults/{world.work_vault}/items", item))
    assert resp.status_code == 200, resp.text
    created = client.deserialize(resp.content, "Item")
    cleanup.append((world.work_vault, created.id))
    assert created.version == 1
    pw = next(f for f in created.fields if f.purpose == "PASSWORD").value
    assert len(pw) == 20 and pw.isalpha(), pw

    resp = await run(client.build_request("DELETE", f"/v1/vaults/{world.work_vault}/items/{created.id}"))
    # Connect answers DELETE with 204 and an empty body.
    assert resp.status_code == 204
    assert resp.content == b""


async def test_host_with_trailing_slash(world, flavor):
    # OP_CONNECT_HOST often ends in "/"; httpx joins it without doubling the slash.
    c = support.new_client(world.host + "/", world.tokens.dev, is_async=(flavor == "async"))
    try:
        assert [v.name for v in await run(c.get_vaults())] == ["Demo"]
        item = await run(c.get_item("Example Login", "Demo"))
        assert item.id == world.demo_items["Example Login"]
    finally:
        await support.close_client(c)


@pytest.mark.parametrize(
    "case, method, path, body, status",
    [
        ("unknown-item", "GET", "/v1/vaults/{demo}/items/abcdefghijklmnop1234567890", None, 404),
        ("malformed-item", "GET", "/v1/vaults/{demo}/items/nope", None, 400),
        ("malformed-vault", "GET", "/v1/vaults/nope/items", None, 400),
        ("out-of-scope", "GET", "/v1/vaults/{other}/items", None, 403),
        ("unknown-route", "GET", "/v1/no-such-route", None, 404),
        ("wrong-method", "DELETE", "/v1/vaults", None, 405),
        ("bad-body", "POST", "/v1/vaults/{work}/items", {"title": 5, "category": "LOGIN", "fields": "x"}, 400),
        ("bad-category", "POST", "/v1/vaults/{work}/items", {"title": "x", "category": "NOT_A_CATEGORY"}, 400),
    ],
)
async def test_error_responses_are_json(client, world, case, method, path, body, status):
    path = path.format(demo=world.demo_vault, other=world.other_vault, work=world.work_vault)
    resp = await run(client.build_request(method, path, body))
    assert resp.status_code == status, f"{method} {path}: {resp.status_code} {resp.text}"
    assert resp.headers["content-type"].startswith("application/json"), resp.headers
    data = resp.json()
    assert data["status"] == status
    assert isinstance(data["message"], str) and data["message"]


async def test_bad_token_error_is_json(make_client, world):
    c = make_client("not-a-token")
    resp = await run(c.build_request("GET", "/v1/vaults"))
    assert resp.status_code == 401
    assert resp.headers["content-type"].startswith("application/json")
    assert resp.json() == {"status": 401, "message": resp.json()["message"]}
    assert "invalid bearer token" in resp.json()["message"].lower()
