"""Writing items: create_item (several categories, sections, generated values,
OTP, URLs, tags), update_item, delete_item (sync and async)."""
import re
import uuid

import pytest
from onepasswordconnectsdk.errors import FailedToRetrieveItemException
from onepasswordconnectsdk.models import (
    Field,
    FieldSection,
    GeneratorRecipe,
    Item,
    ItemUrls,
    ItemVault,
    Section,
)

from support import (
    DIGITS,
    ID_RE,
    LETTERS,
    PURPOSES,
    SYMBOLS,
    assert_only_chars,
    field_by_label,
    field_by_purpose,
    random_b32_secret,
    run,
    totp_window,
    unique,
)

UNICODE_TEXT = 'Ünïcødé ✓ 密码 "quoted" \\back\\slash\nsecond line\ttab 🚀'


def _sec(section_id):
    return FieldSection(id=section_id)


def build_item(category: str, title: str, vault_id: str):
    """An item of the category with sections, URLs and tags; returns
    (item, expectations) where expectations lists the fields whose value must
    round-trip exactly as (label, section_id, type, purpose, value)."""
    otp_uri = f"otpauth://totp/compat:{uuid.uuid4().hex[:6]}?secret={random_b32_secret()}&issuer=compat"
    uuid_section = str(uuid.uuid4())  # Ansible sends UUID4 section ids
    specs = {
        "LOGIN": dict(
            sections=[Section(id="extra", label="Extra details")],
            fields=[
                Field(purpose="USERNAME", label="username", type="STRING", value="alice@example.test"),
                Field(purpose="PASSWORD", label="password", type="CONCEALED", value="S3cr3t-pa55 wörd!"),
                Field(section=_sec("extra"), label="recovery email", type="EMAIL", value="alice+r@example.test"),
                Field(section=_sec("extra"), label="pin", type="CONCEALED", value="0042"),
            ],
            urls=[
                ItemUrls(primary=True, href="https://login.example.test/signin?next=%2Fhome"),
                ItemUrls(primary=False, href="https://alt.example.test/"),
            ],
        ),
        "PASSWORD": dict(
            sections=[],
            fields=[
                Field(purpose="PASSWORD", label="password", type="CONCEALED", value="correct horse battery staple"),
                Field(purpose="NOTES", label="notesPlain", type="STRING", value="rotated yearly"),
            ],
            urls=[],
        ),
        "SECURE_NOTE": dict(
            sections=[Section(id="meta", label="Metadata")],
            fields=[
                Field(purpose="NOTES", label="notesPlain", type="STRING", value=UNICODE_TEXT),
                Field(section=_sec("meta"), label="owner", type="STRING", value="team-π"),
            ],
            urls=[],
        ),
        "API_CREDENTIAL": dict(
            sections=[Section(id="mfa", label="Two-factor"), Section(id=uuid_section, label="Validity")],
            fields=[
                Field(label="credential", type="CONCEALED", value="tok_" + uuid.uuid4().hex),
                Field(label="username", type="STRING", value="svc-account"),
                Field(section=_sec("mfa"), label="one-time password", type="OTP", value=otp_uri),
                Field(section=_sec(uuid_section), label="expires", type="DATE", value="1893456000"),
                Field(section=_sec(uuid_section), label="hostname", type="URL", value="https://api.example.test"),
            ],
            urls=[ItemUrls(primary=True, href="https://api.example.test")],
        ),
        "SERVER": dict(
            sections=[Section(id="admin", label="Admin Console"), Section(id="Section_hostingprovider00000", label="Hosting")],
            fields=[
                Field(label="URL", type="STRING", value="ssh://server.example.test:2222"),
                Field(label="username", type="STRING", value="root"),
                Field(label="password", type="CONCEALED", value="p@ss:w/o\"rd"),
                Field(section=_sec("admin"), label="admin console URL", type="URL", value="https://admin.example.test"),
                Field(section=_sec("admin"), label="console password", type="CONCEALED", value="admin-secret"),
                Field(section=_sec("Section_hostingprovider00000"), label="name", type="STRING", value="ExampleHost"),
            ],
            urls=[],
        ),
        "DATABASE": dict(
            sections=[Section(id="connection", label="Connection")],
            fields=[
                Field(section=_sec("connection"), label="type", type="STRING", value="postgresql"),
                Field(section=_sec("connection"), label="server", type="STRING", value="db.example.test"),
                Field(section=_sec("connection"), label="port", type="STRING", value="5432"),
                Field(section=_sec("connection"), label="database", type="STRING", value="app_prod"),
                Field(section=_sec("connection"), label="username", type="STRING", value="app"),
                Field(section=_sec("connection"), label="password", type="CONCEALED", value="db-pässwörd"),
            ],
            urls=[],
        ),
    }
    spec = specs[category]
    tags = sorted(["compat", category.lower(), "ünïcode tag"])
    item = Item(
        title=title,
        category=category,
        vault=ItemVault(id=vault_id),
        favorite=(category == "LOGIN"),
        tags=tags,
        urls=spec["urls"] or None,
        sections=spec["sections"] or None,
        fields=spec["fields"],
    )
    return item


def expectations(item: Item):
    return [
        (f.label, f.section.id if f.section else None, f.type, f.purpose or "", f.value)
        for f in item.fields
    ]


def assert_round_trip(sent: Item, got: Item) -> None:
    assert got.title == sent.title
    assert got.category == sent.category
    assert bool(got.favorite) == bool(sent.favorite)
    assert sorted(got.tags or []) == sorted(sent.tags or [])
    assert [(u.href, bool(u.primary)) for u in (got.urls or [])] == [
        (u.href, bool(u.primary)) for u in (sent.urls or [])
    ]
    got_sections = {s.id: s.label for s in got.sections or []}
    for s in sent.sections or []:
        assert got_sections.get(s.id) == s.label, f"section {s.id!r} not round-tripped: {got_sections}"
    for label, section_id, ftype, purpose, value in expectations(sent):
        f = field_by_label(got, label, section_id)
        assert (f.section.id if f.section else None) == section_id
        assert f.type == ftype, f"{label}: type {f.type!r} != {ftype!r}"
        assert (f.purpose or "") == purpose, f"{label}: purpose {f.purpose!r} != {purpose!r}"
        assert f.value == value, f"{label}: value {f.value!r} != {value!r}"
    for f in got.fields:
        assert f.id, f"server did not assign an id to field {f.label!r}"
        assert f.purpose in PURPOSES | {None}


def comparable(item: Item) -> dict:
    d = item.to_dict()
    for f in d.get("fields") or []:
        f.pop("totp", None)  # recomputed on every read
    return d


@pytest.mark.parametrize(
    "category", ["LOGIN", "PASSWORD", "SECURE_NOTE", "API_CREDENTIAL", "SERVER", "DATABASE"]
)
async def test_create_item_round_trips(client, world, cleanup, category):
    title = unique(f"Compat {category}")
    sent = build_item(category, title, world.work_vault)
    created = await run(client.create_item(world.work_vault, sent))
    cleanup.append((world.work_vault, created.id))

    assert ID_RE.match(created.id), created.id
    assert created.vault.id == world.work_vault
    assert created.version == 1
    assert created.created_at is not None and created.created_at.tzinfo is not None
    assert_round_trip(sent, created)

    got = await run(client.get_item_by_id(created.id, world.work_vault))
    assert got.version == 1
    assert_round_trip(sent, got)
    assert comparable(got) == comparable(created)

    if category == "LOGIN":
        assert field_by_purpose(got, "USERNAME").value == "alice@example.test"
        assert field_by_purpose(got, "PASSWORD").value == "S3cr3t-pa55 wörd!"
        # Connect adds the built-in notes field to a LOGIN (1Password Connect's API reference).
        assert field_by_purpose(got, "NOTES").label == "notesPlain"
    if category == "API_CREDENTIAL":
        otp = field_by_label(got, "one-time password", "mfa")
        assert otp.totp and otp.totp in totp_window(otp.value)


@pytest.mark.parametrize(
    "length, sets, exclude",
    [
        (40, ["LETTERS", "DIGITS"], "0O1lI"),
        (12, ["DIGITS"], None),
        (64, ["LETTERS", "SYMBOLS"], "!@#$%^&*"),
        (20, ["DIGITS", "SYMBOLS"], "0123"),
        (1, ["LETTERS"], None),
        (33, ["LETTERS", "DIGITS", "SYMBOLS"], "abcdefghijklmnopqrstuvwxyz"),
    ],
)
async def test_generated_password_follows_recipe(client, world, cleanup, length, sets, exclude):
    recipe = GeneratorRecipe(length=length, character_sets=sets, exclude_characters=exclude)
    item = Item(
        title=unique("Compat generated"),
        category="PASSWORD",
        vault=ItemVault(id=world.work_vault),
        fields=[Field(purpose="PASSWORD", label="password", type="CONCEALED", generate=True, recipe=recipe)],
    )
    created = await run(client.create_item(world.work_vault, item))
    cleanup.append((world.work_vault, created.id))
    pw = field_by_purpose(created, "PASSWORD")
    value = pw.value
    assert value is not None and len(value) == length, f"len({value!r}) != {length}"
    alphabet = "".join({"LETTERS": LETTERS, "DIGITS": DIGITS, "SYMBOLS": SYMBOLS}[s] for s in sets)
    assert_only_chars(value, alphabet, "generated password")
    if exclude:
        assert not set(value) & set(exclude), f"{value!r} contains excluded characters {exclude!r}"
    assert isinstance(pw.entropy, (int, float)) and pw.entropy > 0
    # The generated value is stored, not regenerated on read.
    got = await run(client.get_item_by_id(created.id, world.work_vault))
    assert field_by_purpose(got, "PASSWORD").value == value


async def test_generated_values_default_recipe_and_non_password_fields(client, world, cleanup):
    item = Item(
        title=unique("Compat default recipe"),
        category="LOGIN",
        vault=ItemVault(id=world.work_vault),
        sections=[Section(id="keys", label="Keys")],
        fields=[
            Field(purpose="USERNAME", label="username", value="gen-user"),
            # No recipe at all: Connect's default is 32 characters of letters,
            # digits and symbols (1Password Connect's API reference).
            Field(purpose="PASSWORD", label="password", type="CONCEALED", generate=True),
            Field(section=FieldSection(id="keys"), label="api key", type="CONCEALED", generate=True,
                  recipe=GeneratorRecipe(length=16, character_sets=["DIGITS"])),
        ],
    )
    created = await run(client.create_item(world.work_vault, item))
    cleanup.append((world.work_vault, created.id))
    pw = field_by_purpose(created, "PASSWORD").value
    assert len(pw) == 32, pw
    assert_only_chars(pw, LETTERS + DIGITS + SYMBOLS, "default generated password")
    key = field_by_label(created, "api key", "keys").value
    assert key is not None and len(key) == 16 and key.isdigit(), key
    assert field_by_purpose(created, "USERNAME").value == "gen-user"


@pytest.mark.parametrize(
    "params, digits",
    [
        ("", 6),
        ("&digits=8", 8),
        ("&algorithm=SHA256&period=60", 6),
        ("&algorithm=SHA512&digits=8&period=45", 8),
    ],
    ids=["default", "8-digits", "sha256-60s", "sha512-8-digits-45s"],
)
async def test_otp_field_totp_matches_rfc6238(client, world, cleanup, params, digits):
    # The server must honour period/digits/algorithm (OTP clients such as doco-cd rely on it).
    secret = random_b32_secret()
    uri = f"otpauth://totp/Compat:bob@example.test?secret={secret}&issuer=Compat{params}"
    item = Item(
        title=unique("Compat OTP"),
        category="LOGIN",
        vault=ItemVault(id=world.work_vault),
        sections=[Section(id="otp", label="One-time password")],
        fields=[
            Field(purpose="USERNAME", label="username", value="bob@example.test"),
            Field(section=FieldSection(id="otp"), label="one-time password", type="OTP", value=uri),
        ],
    )
    created = await run(client.create_item(world.work_vault, item))
    cleanup.append((world.work_vault, created.id))
    for it in (created, await run(client.get_item_by_id(created.id, world.work_vault))):
        otp = field_by_label(it, "one-time password", "otp")
        assert otp.type == "OTP"
        assert otp.value == uri
        assert otp.totp is not None and re.fullmatch(rf"\d{{{digits}}}", otp.totp), otp.totp
        assert otp.totp in totp_window(uri), f"totp {otp.totp} is not the RFC 6238 code for {secret}"


async def test_field_types_date_and_month_year(client, world, cleanup):
    item = Item(
        title=unique("Compat dates"),
        category="SECURE_NOTE",
        vault=ItemVault(id=world.work_vault),
        fields=[
            Field(label="unix date", type="DATE", value="1893456000"),
            Field(label="iso date", type="DATE", value="2030-01-01"),
            Field(label="expiry", type="MONTH_YEAR", value="202712"),
        ],
    )
    created = await run(client.create_item(world.work_vault, item))
    cleanup.append((world.work_vault, created.id))
    got = await run(client.get_item_by_id(created.id, world.work_vault))
    assert field_by_label(got, "unix date").value == "1893456000"
    iso = field_by_label(got, "iso date").value
    # YYYY-MM-DD input is accepted and returned as Unix seconds for that day
    # (parsed in the server's local zone, so allow +-14 h around UTC midnight).
    assert iso.isdigit(), iso
    assert abs(int(iso) - 1893456000) <= 14 * 3600, iso
    assert field_by_label(got, "expiry").value == "202712"


async def test_unicode_title_and_filters_on_created_items(client, world, cleanup):
    marker = uuid.uuid4().hex[:8]
    title_a = f"Compat Ünïcødé ✓ 密码 {marker}"
    title_b = f"Compat second {marker}"
    ids = []
    for title in (title_a, title_b):
        created = await run(client.create_item(world.work_vault, Item(
            title=title, category="SECURE_NOTE", vault=ItemVault(id=world.work_vault),
            tags=[f"tag-{marker}"],
            fields=[Field(purpose="NOTES", label="notesPlain", value=title)],
        )))
        cleanup.append((world.work_vault, created.id))
        ids.append(created.id)

    got = await run(client.get_item_by_title(title_a, world.work_vault))
    assert got.id == ids[0] and got.title == title_a
    got = await run(client.get_item(title_a, world.work_vault_name))
    assert got.id == ids[0]
    tagged = await run(client.get_items(world.work_vault, f'tag eq "tag-{marker}"'))
    assert sorted(i.id for i in tagged) == sorted(ids)
    contains = await run(client.get_items(world.work_vault, f'title co "{marker}"'))
    assert sorted(i.id for i in contains) == sorted(ids)
    listed = {i.id for i in await run(client.get_items(world.work_vault))}
    assert set(ids) <= listed


async def test_update_item_full_replacement_and_versions(client, world, cleanup):
    title = unique("Compat update")
    created = await run(client.create_item(world.work_vault, Item(
        title=title,
        category="SERVER",
        vault=ItemVault(id=world.work_vault),
        tags=["before"],
        sections=[Section(id="admin", label="Admin")],
        fields=[
            Field(section=FieldSection(id="admin"), label="url", type="URL", value="https://old.example.test"),
            Field(section=FieldSection(id="admin"), label="user", type="STRING", value="old-user"),
            Field(section=FieldSection(id="admin"), label="to remove", type="CONCEALED", value="bye"),
        ],
        urls=[ItemUrls(primary=True, href="https://old.example.test")],
    )))
    cleanup.append((world.work_vault, created.id))
    assert created.version == 1

    item = await run(client.get_item_by_id(created.id, world.work_vault))
    v0 = item.version
    new_title = title + " (renamed)"
    item.title = new_title
    item.tags = ["after", "before"]
    item.urls = [ItemUrls(primary=True, href="https://new.example.test")]
    item.fields = [f for f in item.fields if f.label != "to remove"]
    field_by_label(item, "user", "admin").value = "new-user"
    item.sections = list(item.sections) + [Section(id="extra", label="Extra")]
    item.fields.append(Field(section=FieldSection(id="extra"), label="added", type="STRING", value="hello"))

    updated = await run(client.update_item(item.id, world.work_vault, item))
    # Connect's PUT response carries the pre-update version (1Password Connect's API reference).
    assert updated.version == v0, f"PUT response version {updated.version}, expected {v0}"
    assert updated.id == created.id
    assert updated.title == new_title

    got = await run(client.get_item_by_id(created.id, world.work_vault))
    assert got.version == v0 + 1, f"GET after PUT version {got.version}, expected {v0 + 1}"
    assert got.title == new_title
    assert sorted(got.tags) == ["after", "before"]
    assert [(u.href, u.primary) for u in got.urls] == [("https://new.example.test", True)]
    assert not [f for f in got.fields if f.label == "to remove"], "removed field is still present"
    assert field_by_label(got, "user", "admin").value == "new-user"
    assert field_by_label(got, "url", "admin").value == "https://old.example.test"
    assert field_by_label(got, "added", "extra").value == "hello"
    assert {s.id for s in got.sections} >= {"admin", "extra"}
    assert got.created_at == created.created_at
    assert got.updated_at >= created.updated_at

    # A second, minimal replacement built from scratch drops everything else.
    minimal = Item(
        title=new_title,
        category="SERVER",
        fields=[Field(label="only", type="STRING", value="left")],
    )
    updated2 = await run(client.update_item(created.id, world.work_vault, minimal))
    assert updated2.version == v0 + 1
    got2 = await run(client.get_item_by_id(created.id, world.work_vault))
    assert got2.version == v0 + 2
    labels = {f.label for f in got2.fields}
    assert "only" in labels
    assert not labels & {"url", "user", "added", "to remove"}, labels
    assert field_by_label(got2, "only").value == "left"
    assert not got2.tags


async def test_delete_item(client, world):
    created = await run(client.create_item(world.work_vault, Item(
        title=unique("Compat delete"),
        category="PASSWORD",
        vault=ItemVault(id=world.work_vault),
        fields=[Field(purpose="PASSWORD", label="password", type="CONCEALED", value="x")],
    )))
    assert await run(client.delete_item(created.id, world.work_vault)) is None

    with pytest.raises(FailedToRetrieveItemException) as exc:
        await run(client.get_item_by_id(created.id, world.work_vault))
    assert exc.value.status_code == 404
    assert "not found" in str(exc.value)
    # get_item falls back to a title lookup, which finds nothing either.
    with pytest.raises(FailedToRetrieveItemException, match="Found 0 items"):
        await run(client.get_item(created.id, world.work_vault))
    assert created.id not in {i.id for i in await run(client.get_items(world.work_vault))}
    # Deleting again is a 404.
    with pytest.raises(FailedToRetrieveItemException, match="Received 404"):
        await run(client.delete_item(created.id, world.work_vault))


async def test_update_cannot_change_category(client, world, cleanup):
    # "The category cannot be changed after creating an item" (1Password Connect's API reference).
    created = await run(client.create_item(world.work_vault, Item(
        title=unique("Compat category"),
        category="SERVER",
        vault=ItemVault(id=world.work_vault),
        fields=[Field(label="host", value="h.example.test")],
    )))
    cleanup.append((world.work_vault, created.id))
    item = await run(client.get_item_by_id(created.id, world.work_vault))
    item.category = "DATABASE"
    with pytest.raises(FailedToRetrieveItemException) as exc:
        await run(client.update_item(created.id, world.work_vault, item))
    assert "Received 400" in " ".join(str(exc.value).split())
    got = await run(client.get_item_by_id(created.id, world.work_vault))
    assert got.category == "SERVER" and got.version == 1


async def test_password_entropy_for_supplied_values(client, world, cleanup):
    """Field.entropy: "For fields with a purpose of PASSWORD this is the entropy
    of the value" (Connect's published spec) - for client-supplied values too, not only
    generated ones: the Python SDK expects it on every password field."""
    created = await run(client.create_item(world.work_vault, Item(
        title=unique("Compat entropy"),
        category="LOGIN",
        vault=ItemVault(id=world.work_vault),
        fields=[
            Field(purpose="USERNAME", label="username", value="ent"),
            Field(purpose="PASSWORD", label="password", type="CONCEALED", value="correct horse battery staple"),
        ],
    )))
    cleanup.append((world.work_vault, created.id))
    got = await run(client.get_item_by_id(created.id, world.work_vault))
    for where, it in (("POST response", created), ("GET", got)):
        pw = field_by_purpose(it, "PASSWORD")
        assert isinstance(pw.entropy, (int, float)) and pw.entropy > 0, (
            f"{where}: PASSWORD field with a client-supplied value has no entropy: {pw.to_dict()}"
        )
    # Replacing the value through PUT keeps entropy present (for the new value).
    field_by_purpose(got, "PASSWORD").value = "another supplied password 123"
    await run(client.update_item(created.id, world.work_vault, got))
    after = await run(client.get_item_by_id(created.id, world.work_vault))
    pw = field_by_purpose(after, "PASSWORD")
    assert pw.value == "another supplied password 123"
    assert isinstance(pw.entropy, (int, float)) and pw.entropy > 0, f"after PUT: {pw.to_dict()}"


async def test_create_tolerates_minimal_bodies(client, world, cleanup):
    """The SDK's create_item does not set `vault`; fields may lack `id` and `type`
    and sections may lack a label (1Password Connect's API reference)."""
    created = await run(client.create_item(world.work_vault, Item(
        title=unique("Compat minimal"),
        category="SECURE_NOTE",
        sections=[Section(id="bare")],
        fields=[
            Field(label="untyped", type=None, value="no type given"),
            Field(label="in bare section", section=FieldSection(id="bare"), value="v"),
        ],
    )))
    cleanup.append((world.work_vault, created.id))
    assert created.vault.id == world.work_vault
    untyped = field_by_label(created, "untyped")
    assert untyped.value == "no type given" and untyped.id and untyped.type
    assert field_by_label(created, "in bare section", "bare").value == "v"
    got = await run(client.get_item_by_id(created.id, world.work_vault))
    assert comparable(got) == comparable(created)
