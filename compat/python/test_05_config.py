"""The config loaders `load` and `load_dict` (opitem / opfield / opvault and
OP_VAULT). They call `client.get_item` synchronously, so they only work with
the sync client (passing an AsyncClient is unsupported by the SDK)."""
import pytest
from onepasswordconnectsdk.config import UnknownSectionAndFieldTag
from onepasswordconnectsdk.errors import FailedToRetrieveItemException
from onepasswordconnectsdk.models import Field, FieldSection, Item, ItemVault, Section

import support
from support import field_by_label, field_by_purpose, unique


@pytest.fixture
def demo_values(sync_client, world):
    login = sync_client._inner.get_item_by_id(world.demo_items["Example Login"], world.demo_vault)
    db = sync_client._inner.get_item_by_id(world.demo_items["Database"], world.demo_vault)
    api = sync_client._inner.get_item_by_id(world.demo_items["API Token"], world.demo_vault)
    return {
        "username": field_by_purpose(login, "USERNAME").value,
        "password": field_by_purpose(login, "PASSWORD").value,
        "db_server": field_by_label(db, "server", "connection").value,
        "db_port": field_by_label(db, "port", "connection").value,
        "otp": next(f for f in api.fields if f.type == "OTP").value,
    }


@pytest.fixture
def created_item(sync_client, world, cleanup):
    title = unique("Compat config")
    item = sync_client._inner.create_item(world.work_vault, Item(
        title=title,
        category="DATABASE",
        vault=ItemVault(id=world.work_vault),
        sections=[Section(id="creds", label="Credentials")],
        fields=[
            Field(section=FieldSection(id="creds"), label="user", type="STRING", value="cfg-user"),
            Field(section=FieldSection(id="creds"), label="password", type="CONCEALED", value="cfg-pässword"),
            Field(label="hostname", type="STRING", value="cfg.example.test"),
        ],
    ))
    cleanup.append((world.work_vault, item.id))
    return item


def test_load_dict_demo_items(sync_client, world, demo_values):
    cfg = {
        "username": {"opitem": "Example Login", "opfield": ".username", "opvault": world.demo_vault},
        "password": {"opitem": "Example Login", "opfield": ".password", "opvault": world.demo_vault},
        # Section by label, vault by name (resolved with `name eq "Demo"`).
        "db_server": {"opitem": "Database", "opfield": "Connection.server", "opvault": "Demo"},
        # Section by id.
        "db_port": {"opitem": "Database", "opfield": "connection.port", "opvault": world.demo_vault},
        "otp": {"opitem": "API Token", "opfield": "mfa.one-time password", "opvault": world.demo_vault},
    }
    values = support.load_dict(sync_client, cfg)
    assert values == demo_values
    assert values["username"] == "demo@example.com"
    assert values["db_server"] == "db.internal"
    assert values["otp"].startswith("otpauth://totp/")


def test_load_dict_with_op_vault_env(sync_client, world, monkeypatch, demo_values):
    monkeypatch.setenv("OP_VAULT", world.demo_vault)
    values = support.load_dict(sync_client, {
        "user": {"opitem": "Example Login", "opfield": ".username"},
        # opitem may be an item id as well.
        "port": {"opitem": world.demo_items["Database"], "opfield": "connection.port"},
    })
    assert values == {"user": demo_values["username"], "port": demo_values["db_port"]}


def test_load_dict_created_item(sync_client, world, created_item):
    values = support.load_dict(sync_client, {
        "user": {"opitem": created_item.title, "opfield": "Credentials.user", "opvault": world.work_vault},
        "password": {"opitem": created_item.title, "opfield": "creds.password", "opvault": world.work_vault_name},
        "host": {"opitem": created_item.id, "opfield": ".hostname", "opvault": world.work_vault},
    })
    assert values == {"user": "cfg-user", "password": "cfg-pässword", "host": "cfg.example.test"}


def test_load_annotated_object(sync_client, world, monkeypatch, demo_values, created_item):
    monkeypatch.setenv("OP_VAULT", world.demo_vault)
    work = world.work_vault
    title = created_item.title

    class AppConfig:
        username: 'opitem:"Example Login" opfield:.username'
        password: 'opitem:"Example Login" opfield:.password'
        db_server: "opitem:Database opfield:Connection.server"
        db_port: "opitem:Database opfield:connection.port opvault:Demo"
        otp: 'opitem:"API Token" opfield:"mfa.one-time password"'
        cfg_user: f'opitem:"{title}" opfield:Credentials.user opvault:{work}'
        cfg_password: f'opitem:"{title}" opfield:creds.password opvault:{work}'

    cfg = AppConfig()
    returned = support.load(sync_client, cfg)
    assert returned is cfg
    assert cfg.username == demo_values["username"]
    assert cfg.password == demo_values["password"]
    assert cfg.db_server == demo_values["db_server"]
    assert cfg.db_port == demo_values["db_port"]
    assert cfg.otp == demo_values["otp"]
    assert cfg.cfg_user == "cfg-user"
    assert cfg.cfg_password == "cfg-pässword"


def test_load_errors(sync_client, world):
    with pytest.raises(FailedToRetrieveItemException, match="Found 0 items"):
        support.load_dict(sync_client, {
            "x": {"opitem": "No Such Item", "opfield": ".username", "opvault": world.demo_vault},
        })
    with pytest.raises(UnknownSectionAndFieldTag):
        support.load_dict(sync_client, {
            "x": {"opitem": "Example Login", "opfield": ".no-such-field", "opvault": world.demo_vault},
        })

    class NoAccess:
        secret: f'opitem:"Example Login" opfield:.username opvault:{world.demo_vault}'

    other = support.new_client(world.host, world.tokens.other)
    try:
        with pytest.raises(FailedToRetrieveItemException) as exc:
            support.load(other, NoAccess())
        assert "Received 403" in support.error_text(exc.value)
    finally:
        other._inner.session.close()
