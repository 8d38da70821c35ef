"""Updating a DOCUMENT item through the SDK keeps its file (Connect 1.7.2
"Connect can update Document items"). The SDK's Item model has no `files`, so
the PUT body never carries them: the server must keep the attachment.

This is the only test that writes to the Demo vault; it restores the title.
"""
from support import field_by_purpose, run

WELCOME = b"Hello from latchkey.\n"


async def test_update_document_item_keeps_its_file(make_client, world):
    c = make_client(world.tokens.dev)
    vault_id, item_id = world.demo_vault, world.demo_items["Welcome Document"]
    item = await run(c.get_item_by_id(item_id, vault_id))
    v0 = item.version
    item.title = "Welcome Document (renamed by compat)"
    field_by_purpose(item, "NOTES").value = "notes added through the Python SDK"
    updated = await run(c.update_item(item_id, vault_id, item))
    try:
        assert updated.version == v0
        assert updated.category == "DOCUMENT"
        got = await run(c.get_item_by_id(item_id, vault_id))
        assert got.version == v0 + 1
        assert got.title == "Welcome Document (renamed by compat)"
        assert field_by_purpose(got, "NOTES").value == "notes added through the Python SDK"
        files = await run(c.get_files(item_id, vault_id))
        assert [(f.name, f.size) for f in files] == [("welcome.txt", len(WELCOME))]
        assert await run(c.get_file_content(files[0].id, item_id, vault_id, files[0].content_path)) == WELCOME
    finally:
        restore = await run(c.get_item_by_id(item_id, vault_id))
        restore.title = "Welcome Document"
        field_by_purpose(restore, "NOTES").value = None
        await run(c.update_item(item_id, vault_id, restore))
    final = await run(c.get_item_by_id(item_id, vault_id))
    assert final.title == "Welcome Document"
    assert final.version == v0 + 2
    assert [f.name for f in await run(c.get_files(item_id, vault_id))] == ["welcome.txt"]
