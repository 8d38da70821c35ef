"""Files: get_files, get_file, get_file_content, download_file on the demo
"Welcome Document" (sync and async)."""
import pytest
from onepasswordconnectsdk.errors import FailedToRetrieveItemException
from onepasswordconnectsdk.models import File

from support import ID_RE, error_text, run

WELCOME = b"Hello from latchkey.\n"


@pytest.fixture
def doc(world):
    return world.demo_vault, world.demo_items["Welcome Document"]


async def _welcome_file(client, doc) -> File:
    vault_id, item_id = doc
    files = await run(client.get_files(item_id, vault_id))
    assert len(files) == 1, files
    return files[0]


async def test_get_files(client, doc):
    vault_id, item_id = doc
    f = await _welcome_file(client, doc)
    assert isinstance(f, File)
    assert ID_RE.match(f.id), f.id
    assert f.name == "welcome.txt"
    assert f.size == len(WELCOME)
    # content_path must start with /v1/ (1Password Connect's API reference).
    assert f.content_path == f"/v1/vaults/{vault_id}/items/{item_id}/files/{f.id}/content"


async def test_get_files_of_item_without_files(client, world):
    files = await run(client.get_files(world.demo_items["Example Login"], world.demo_vault))
    assert files == []


async def test_get_file(client, doc):
    vault_id, item_id = doc
    listed = await _welcome_file(client, doc)
    f = await run(client.get_file(listed.id, item_id, vault_id))
    assert isinstance(f, File)
    assert f.to_dict() == listed.to_dict()


async def test_get_file_content(client, doc):
    vault_id, item_id = doc
    f = await _welcome_file(client, doc)
    # Without content_path the SDK builds .../files/{f}/content itself.
    assert await run(client.get_file_content(f.id, item_id, vault_id)) == WELCOME
    # With the server's content_path it calls that path verbatim.
    assert await run(client.get_file_content(f.id, item_id, vault_id, f.content_path)) == WELCOME


async def test_download_file(client, doc, tmp_path):
    vault_id, item_id = doc
    f = await _welcome_file(client, doc)
    assert await run(client.download_file(f.id, item_id, vault_id, str(tmp_path))) is None
    written = tmp_path / "welcome.txt"
    assert written.read_bytes() == WELCOME
    assert [p.name for p in tmp_path.iterdir()] == ["welcome.txt"]


async def test_file_errors(client, world, doc):
    vault_id, item_id = doc
    unknown = "abcdefghijklmnop1234567890"
    with pytest.raises(FailedToRetrieveItemException) as exc:
        await run(client.get_file(unknown, item_id, vault_id))
    assert "Received 404" in error_text(exc.value) and "not found" in error_text(exc.value)
    with pytest.raises(FailedToRetrieveItemException) as exc:
        await run(client.get_file_content(unknown, item_id, vault_id))
    assert "Received 404" in error_text(exc.value) and "not found" in error_text(exc.value)
    with pytest.raises(FailedToRetrieveItemException) as exc:
        await run(client.get_files(unknown, vault_id))
    assert "Received 404" in error_text(exc.value) and "not found" in error_text(exc.value)
