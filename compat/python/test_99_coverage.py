"""Checks that the suite called every public method of the installed SDK's
sync and async clients, and every public module-level entry point.

The list is taken from the installed package (not hard-coded), so a new method
in a future SDK version makes this test fail until the suite covers it.
Runs last (file order); skipped when only part of the suite was selected.
"""
from pathlib import Path

import pytest

import support

HERE = Path(__file__).resolve().parent


def test_every_public_sdk_method_was_called(request):
    modules = {Path(str(item.fspath)).name for item in request.session.items}
    expected = {p.name for p in HERE.glob("test_*.py")}
    if modules != expected:
        pytest.skip("coverage is only checked when the whole suite runs")
    missing = {
        "sync Client": sorted(support.SYNC_METHODS - support.CALLED["sync"]),
        "AsyncClient": sorted(support.ASYNC_METHODS - support.CALLED["async"]),
        "module": sorted(support.MODULE_FUNCTIONS - support.CALLED["module"]),
    }
    assert not any(missing.values()), f"SDK entry points never exercised: {missing}"
    # Sanity: the lists are the ones of onepasswordconnectsdk 2.1.1.
    assert {"get_item", "get_item_by_id", "get_item_by_title", "get_items", "create_item",
            "update_item", "delete_item", "get_vault", "get_vaults", "get_vault_by_title",
            "get_file", "get_files", "get_file_content", "download_file"} <= support.SYNC_METHODS
    assert support.SYNC_METHODS == support.ASYNC_METHODS
