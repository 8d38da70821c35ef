"""Reading items: get_items (with filters), get_item, get_item_by_id,
get_item_by_title, against the seeded Demo vault (sync and async)."""
import datetime

import pytest
from onepasswordconnectsdk.errors import FailedToRetrieveItemException
from onepasswordconnectsdk.models import Field, Item, ItemVault, SummaryItem

from support import (
    ID_RE,
    PURPOSES,
    USER_ID_RE,
    field_by_label,
    field_by_purpose,
    run,
    totp_window,
)

DEMO_TITLES = {"Example Login", "Database", "API Token", "Wi-Fi", "Welcome Document"}
DEMO_CATEGORIES = {
    "Example Login": "LOGIN",
    "Database": "DATABASE",
    "API Token": "API_CREDENTIAL",
    "Wi-Fi": "PASSWORD",
    "Welcome Document": "DOCUMENT",
}
FALLBACK_ID = "abcdefghijklmnop1234567890"


def assert_item_common(item, world, vault_id=None) -> None:
    assert ID_RE.match(item.id), item.id
    assert item.vault is not None and item.vault.id == (vault_id or world.demo_vault)
    assert isinstance(item.version, int) and item.version >= 1
    assert isinstance(item.created_at, datetime.datetime) and item.created_at.tzinfo is not None
    assert isinstance(item.updated_at, datetime.datetime) and item.updated_at.tzinfo is not None
    assert item.updated_at >= item.created_at
    assert isinstance(item.last_edited_by, str) and USER_ID_RE.match(item.last_edited_by), item.last_edited_by


def assert_fields_valid(item: Item) -> None:
    for f in item.fields or []:
        assert f.id, f"field without id on {item.title}: {f}"
        assert f.purpose in PURPOSES | {None}
    ids = [f.id for f in item.fields or []]
    assert len(ids) == len(set(ids)), f"duplicate field ids on {item.title}: {ids}"
    section_ids = {s.id for s in item.sections or []}
    for f in item.fields or []:
        if f.section is not None:
            assert f.section.id in section_ids, f"field {f.label} points at unknown section {f.section.id}"


async def test_get_items_returns_summaries(client, world):
    items = await run(client.get_items(world.demo_vault))
    assert all(isinstance(i, SummaryItem) for i in items)
    assert {i.title for i in items} == DEMO_TITLES
    for i in items:
        assert_item_common(i, world)
        assert i.category == DEMO_CATEGORIES[i.title]
    login = next(i for i in items if i.title == "Example Login")
    assert sorted(login.tags) == ["demo", "web"]
    assert [(u.href, u.primary) for u in login.urls] == [("https://example.com/login", True)]
    # Summaries carry no sections or fields (1Password Connect's API reference).
    with world.raw() as http:
        for raw in http.get(f"/v1/vaults/{world.demo_vault}/items").json():
            assert "fields" not in raw and "sections" not in raw, raw


@pytest.mark.parametrize(
    "filter_query, expected",
    [
        ('title eq "Example Login"', {"Example Login"}),
        ('tag eq "web"', {"Example Login"}),
        ('tag eq "demo"', {"Example Login", "Database", "API Token", "Welcome Document"}),
        ('title co "Doc"', {"Welcome Document"}),
        ('title eq "Database" or title eq "Wi-Fi"', {"Database", "Wi-Fi"}),
        ('title eq "No Such Item"', set()),
    ],
)
async def test_get_items_with_filter(client, world, filter_query, expected):
    items = await run(client.get_items(world.demo_vault, filter_query))
    assert {i.title for i in items} == expected
    for i in items:
        assert i.vault.id == world.demo_vault


async def test_get_item_by_id_login(client, world):
    item_id = world.demo_items["Example Login"]
    item = await run(client.get_item_by_id(item_id, world.demo_vault))
    assert isinstance(item, Item)
    assert_item_common(item, world)
    assert item.id == item_id
    assert item.title == "Example Login"
    assert item.category == "LOGIN"
    assert sorted(item.tags) == ["demo", "web"]
    assert [(u.href, u.primary) for u in item.urls] == [("https://example.com/login", True)]
    assert_fields_valid(item)

    username = field_by_purpose(item, "USERNAME")
    assert username.value == "demo@example.com"
    assert username.label == "username"
    password = field_by_purpose(item, "PASSWORD")
    assert password.type == "CONCEALED"
    assert password.label == "password"
    assert len(password.value) == 24
    assert isinstance(password.entropy, (int, float)) and password.entropy > 0
    # A LOGIN carries the built-in notes field.
    assert field_by_purpose(item, "NOTES").label == "notesPlain"


async def test_get_item_by_title_api_credential_with_otp_and_date(client, world):
    item = await run(client.get_item_by_title("API Token", world.demo_vault))
    assert item.id == world.demo_items["API Token"]
    assert item.category == "API_CREDENTIAL"
    assert_fields_valid(item)
    otp = [f for f in item.fields if f.type == "OTP"]
    assert len(otp) == 1, [(f.label, f.type) for f in item.fields]
    otp = otp[0]
    assert otp.section is not None and otp.section.id == "mfa"
    assert otp.value == "otpauth://totp/latchkey:demo?secret=JBSWY3DPEHPK3PXP&issuer=latchkey"
    assert otp.totp is not None and otp.totp.isdigit() and len(otp.totp) == 6
    assert otp.totp in totp_window(otp.value), f"server totp {otp.totp} does not match RFC 6238"

    dates = [f for f in item.fields if f.type == "DATE"]
    assert len(dates) == 1
    # Connect returns DATE values as a Unix-seconds string (1Password Connect's API reference).
    assert dates[0].value.isdigit(), dates[0].value


async def test_get_item_by_title_database_sections(client, world):
    item = await run(client.get_item_by_title("Database", world.demo_vault))
    assert item.category == "DATABASE"
    assert_fields_valid(item)
    assert "connection" in {s.id for s in item.sections}
    in_section = [f for f in item.fields if f.section is not None and f.section.id == "connection"]
    assert in_section, "the demo DATABASE item has fields in section 'connection'"


async def test_get_item_by_title_password_item(client, world):
    item = await run(client.get_item_by_title("Wi-Fi", world.demo_vault))
    assert item.id == world.demo_items["Wi-Fi"]
    assert item.category == "PASSWORD"
    pw = field_by_purpose(item, "PASSWORD")
    assert pw.value and pw.type == "CONCEALED"


async def test_get_item_resolves_ids_and_titles(client, world):
    login_id = world.demo_items["Example Login"]
    by_id = await run(client.get_item(login_id, world.demo_vault))
    by_title = await run(client.get_item("Example Login", world.demo_vault))
    # The vault given by name goes through get_vault_by_title (`name eq`).
    by_vault_name = await run(client.get_item("Example Login", "Demo"))
    by_id_vault_name = await run(client.get_item(login_id, "Demo"))
    for item in (by_id, by_title, by_vault_name, by_id_vault_name):
        assert item.id == login_id
        assert item.to_dict() == by_id.to_dict()
        assert field_by_purpose(item, "USERNAME").value == "demo@example.com"


async def test_get_item_falls_back_to_title_on_404(client, world, cleanup):
    """A well-formed but unknown id is looked up as a title (SDK PR #132)."""
    created = await run(
        client.create_item(
            world.work_vault,
            Item(
                title=FALLBACK_ID,
                category="SECURE_NOTE",
                vault=ItemVault(id=world.work_vault),
                fields=[Field(id="notesPlain", purpose="NOTES", label="notesPlain", value="fallback")],
            ),
        )
    )
    cleanup.append((world.work_vault, created.id))
    assert created.id != FALLBACK_ID

    with pytest.raises(FailedToRetrieveItemException) as exc:
        await run(client.get_item_by_id(FALLBACK_ID, world.work_vault))
    assert exc.value.status_code == 404

    found = await run(client.get_item(FALLBACK_ID, world.work_vault))
    assert found.id == created.id
    assert found.title == FALLBACK_ID
    assert field_by_purpose(found, "NOTES").value == "fallback"


async def test_get_item_by_title_unknown(client, world):
    with pytest.raises(FailedToRetrieveItemException, match="Found 0 items"):
        await run(client.get_item_by_title("No Such Item", world.demo_vault))
    with pytest.raises(FailedToRetrieveItemException, match="Found 0 items"):
        await run(client.get_item("No Such Item", world.demo_vault))
