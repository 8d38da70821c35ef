#!/usr/bin/env python3
"""The README's compatibility table, generated from the compatibility suites' results.

    python3 scripts/compat_table.py                      # rewrite the README table from compat/results/
    python3 scripts/compat_table.py --check              # exit 1 if the README differs from the results
    python3 scripts/compat_table.py record SUITE INPUT   # turn a suite's raw output into compat/results/SUITE.json

Suites and their raw output (written by the suite runners, see scripts/test.sh):

- python: JSON lines from compat/python/conftest.py (`{"test", "outcome", "reason"}`)
- js:     JSON lines from compat/js/test/support/results-reporter.mjs
- rust:   JSON lines from the compat/rust binary
- replay: the text output of `cargo test --test api replay::` (`test replay::<tool>::<name> ... ok`)

Raw outcomes are `passed`, `failed`, `skipped` (ignored), and `defect` (a known client defect: the
client itself cannot handle a correct Connect response; `reason` says why). A results file lists
one row per (test, capability) with the status `works`, `defect`, `fails` or `not applicable`.

The one place that says which test belongs to which capability is RULES below (first matching rule
of the client wins, then FALLBACK by keyword); NOT_APPLICABLE says which capabilities a client does
not have at all. A table cell is the worst status of its rows: fails > defect > works > not
applicable; a cell with no row is shown as not covered.
"""
from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "compat" / "results"
README = ROOT / "README.md"
START = "<!-- compat-table:start -->"
END = "<!-- compat-table:end -->"

# Columns, in order: key, header.
CAPABILITIES = [
    ("vaults", "vaults list/get"),
    ("vault_by_title", "vault by title"),
    ("items_list", "items list/filter"),
    ("item_get", "item get"),
    ("item_by_title", "item by title"),
    ("create", "create"),
    ("update", "update (PUT)"),
    ("patch", "patch"),
    ("delete", "delete"),
    ("files", "files"),
    ("otp", "OTP"),
    ("generate", "generated passwords"),
    ("errors", "error handling"),
]
CAP_KEYS = [k for k, _ in CAPABILITIES]

# Suites: name -> how its clients are named. The replay suite holds one client per tool module.
SUITES = ["python", "js", "rust", "replay"]
REPLAY_TOOLS = [
    "go_sdk", "operator", "external_secrets", "terraform",
    "vault_plugin", "doco_cd", "ansible", "op_cli",
]

# Rows, in order: client key, suite, label, short name (for footnotes).
CLIENTS = [
    ("python", "python", "Python SDK `onepasswordconnectsdk` 2.1.1", "onepasswordconnectsdk"),
    ("js", "js", "JS SDK `@1password/connect` 1.4.2", "@1password/connect"),
    ("rust", "rust", "Rust crate `connect-1password` 2.0.1 (unofficial)", "connect-1password"),
    ("go_sdk", "replay", "Go SDK `connect-sdk-go` 1.5.3 (replayed)", "connect-sdk-go"),
    ("operator", "replay", "Kubernetes operator (replayed)", "operator"),
    ("external_secrets", "replay", "External Secrets Operator (replayed)", "External Secrets"),
    ("terraform", "replay", "Terraform provider (replayed)", "Terraform provider"),
    ("vault_plugin", "replay", "Vault secrets plugin (replayed)", "Vault plugin"),
    ("doco_cd", "replay", "doco-cd (replayed)", "doco-cd"),
    ("ansible", "replay", "Ansible collection 2.4.0 (replayed)", "Ansible collection"),
    ("op_cli", "replay", "`op` CLI, Connect mode (replayed)", "op CLI"),
]

# Capabilities a client does not have, as its public source shows (the SDK's methods, the calls the
# tool makes). A test result for the same cell overrides this.
_NO_PATCH = "no PATCH call"
NOT_APPLICABLE = {
    "python": {"patch": _NO_PATCH},
    "js": {"patch": _NO_PATCH},
    "rust": {
        "vault_by_title": "the crate has no filter or title lookup",
        "item_by_title": "the crate has no filter or title lookup",
        "update": "the crate has no update call",
        "patch": _NO_PATCH,
        "files": "the crate has no file call and FullItem has no files",
        "otp": "FieldObject has no totp member and the OTP builder is crate-private",
    },
    "go_sdk": {"patch": _NO_PATCH},
    "operator": {
        "vaults": "vaults are resolved through the title filter only",
        "items_list": "items are listed only through the title filter",
        "create": "read-only", "update": "read-only", "patch": "read-only", "delete": "read-only",
        "generate": "read-only", "otp": "copies field values, never reads totp",
    },
    "external_secrets": {
        "patch": _NO_PATCH,
        "otp": "reads field values by label, never totp",
        "generate": "PushSecret sends the value",
    },
    "terraform": {
        "items_list": "items are read by id or title only",
        "patch": _NO_PATCH,
        "otp": "manages OTP fields as values, never reads totp",
    },
    "vault_plugin": {
        "patch": _NO_PATCH,
        "files": "no file paths in the plugin",
        "otp": "returns field values, never totp",
    },
    "doco_cd": {
        "items_list": "resolves single references only",
        "create": "read-only", "update": "read-only", "patch": "read-only", "delete": "read-only",
        "files": "no file references", "generate": "read-only",
    },
    "ansible": {
        "items_list": "items are read by id or name only",
        "patch": _NO_PATCH,
        "files": "no file support in the collection",
        "otp": "no totp in item_info or field_info",
    },
    "op_cli": {},
}

# Test -> capabilities. Per client: (regex searched in the test id, [capabilities]); the first
# match wins; [] means the test is counted by its suite but belongs to no column (the suite's own
# helpers, process lifecycle, client plumbing). Test ids:
#   python: "test_01_vaults.py::test_get_vault_by_id" (the [sync]/[async] parameter stripped)
#   js:     "vaults.test.mjs > getVaultByTitle > no match rejects with the SDK's 404"
#   rust:   "vaults::all"
#   replay: the test function's name, e.g. "vaults_by_title_use_a_plus_encoded_title_filter"
V, VT, IL, IG, IT = "vaults", "vault_by_title", "items_list", "item_get", "item_by_title"
C, U, D, F, O, G, E = "create", "update", "delete", "files", "otp", "generate", "errors"
RULES: dict[str, list[tuple[str, list[str]]]] = {
    "python": [
        (r"^test_00_helpers\.py::", []),
        (r"^test_01_vaults\.py::test_get_vault_by_title_unknown", [VT, E]),
        (r"^test_01_vaults\.py::test_get_vault_by_title", [VT]),
        (r"^test_01_vaults\.py::", [V]),
        (r"^test_02_items_read\.py::test_get_items", [IL]),
        (r"^test_02_items_read\.py::test_get_item_by_id", [IG]),
        (r"^test_02_items_read\.py::test_get_item_by_title_api_credential_with_otp", [IT, O]),
        (r"^test_02_items_read\.py::test_get_item_by_title_unknown", [IT, E]),
        (r"^test_02_items_read\.py::test_get_item_resolves_ids_and_titles", [IG, IT]),
        (r"^test_02_items_read\.py::", [IT]),
        (r"^test_03_items_write\.py::test_generated", [G]),
        (r"^test_03_items_write\.py::test_otp", [O]),
        (r"^test_03_items_write\.py::test_unicode_title_and_filters", [C, IL]),
        (r"^test_03_items_write\.py::test_update_cannot_change_category", [U, E]),
        (r"^test_03_items_write\.py::test_update", [U]),
        (r"^test_03_items_write\.py::test_delete", [D]),
        (r"^test_03_items_write\.py::", [C]),
        (r"^test_04_files\.py::test_file_errors", [F, E]),
        (r"^test_04_files\.py::", [F]),
        (r"^test_05_config\.py::test_load_errors", [IT, E]),
        (r"^test_05_config\.py::", [IT]),
        (r"^test_06_errors\.py::", [E]),
        (r"^test_07_client_plumbing\.py::test_(error_responses|bad_token_error)", [E]),
        (r"^test_07_client_plumbing\.py::", []),
        (r"^test_08_document_update\.py::", [U, F]),
        (r"^test_99_coverage\.py::", []),
    ],
    "js": [
        (r"^(lifecycle|surface)\.test\.mjs", []),
        (r"^otp\.test\.mjs > the test's own TOTP", []),
        (r"^otp\.test\.mjs", [O]),
        (r"^generate\.test\.mjs", [G]),
        (r"^files\.test\.mjs.*(rejects|throws)", [F, E]),
        (r"^files\.test\.mjs", [F]),
        (r"^auth\.test\.mjs.*built without fields", [C]),
        (r"^auth\.test\.mjs.*category on update", [U, E]),
        (r"^auth\.test\.mjs", [E]),
        (r"^vaults\.test\.mjs.* > listItems .*rejects", [IL, E]),
        (r"^vaults\.test\.mjs.* > listItems ", [IL]),
        (r"^vaults\.test\.mjs.* > (listVaultsByTitle|getVaultByTitle)", [VT]),
        (r"^vaults\.test\.mjs.* > getVault \(id or title\) > by (an? )?(ambiguous |unknown )?title", [VT]),
        (r"^vaults\.test\.mjs.*(rejects with 4|throws)", [V, E]),
        (r"^vaults\.test\.mjs", [V]),
        (r"^items\.test\.mjs.* > createItem with ItemBuilder.* > getItem by id and by title", [IG, IT]),
        (r"^items\.test\.mjs.* > createItem with ItemBuilder.* > getItemById", [IG]),
        (r"^items\.test\.mjs.* > createItem with ItemBuilder.* > getItemByTitle", [IT]),
        (r"^items\.test\.mjs.* > createItem with ItemBuilder.* > the item appears in listItems", [IL]),
        (r"^items\.test\.mjs.*is found by title", [C, IT]),
        (r"^items\.test\.mjs.*creating .* is rejected", [C, E]),
        (r"^items\.test\.mjs.* > lookups by title.* > deleteItemByTitle", [D, IT]),
        (r"^items\.test\.mjs.* > lookups by title.* > listItemsByTitleContains", [IL, IT]),
        (r"^items\.test\.mjs.* > lookups by title", [IT]),
        (r"^items\.test\.mjs.* > two vaults > title lookups", [IT]),
        (r"^items\.test\.mjs.* > two vaults > an item is not reachable", [IG, E]),
        (r"^items\.test\.mjs.* > two vaults > updateItem", [U, E]),
        (r"^items\.test\.mjs.* > two vaults", [C]),
        (r"^items\.test\.mjs.* > many matches", [IL, IT]),
        (r"^items\.test\.mjs.* > updateItem .*(rejects|throws)", [U, E]),
        (r"^items\.test\.mjs.* > updateItem ", [U]),
        (r"^items\.test\.mjs.* > delete then get rejects.*(twice|throws)", [D, E]),
        (r"^items\.test\.mjs.* > delete then get rejects", [D]),
        (r"^items\.test\.mjs", [C]),
        (r"^wire\.test\.mjs.* > errors on the wire", [E]),
        (r"^wire\.test\.mjs.* > path variants other clients use > POST", [C]),
        (r"^wire\.test\.mjs.* > path variants", []),
        (r"^wire\.test\.mjs.* > (the SDK sends|every response|timestamps)", []),
        (r"^wire\.test\.mjs.* > listVaults:", [V]),
        (r"^wire\.test\.mjs.* > listVaultsByTitle", [VT]),
        (r"^wire\.test\.mjs.* > getVault", [V]),
        (r"^wire\.test\.mjs.* > listItems:", [IL]),
        (r"^wire\.test\.mjs.* > listItemsByTitleContains", [IL, IT]),
        (r"^wire\.test\.mjs.* > (listItemsByTitle|getItemByTitle)", [IT]),
        (r"^wire\.test\.mjs.* > createItem", [C]),
        (r"^wire\.test\.mjs.* > updateItem", [U]),
        (r"^wire\.test\.mjs.* > deleteItemByTitle", [D, IT]),
        (r"^wire\.test\.mjs.* > deleteItem", [D]),
        (r"^wire\.test\.mjs.* > (listFiles|getFile)", [F]),
    ],
    "rust": [
        (r"^(client|setup|shutdown)\b", []),
        (r"^vaults::", [V]),
        (r"^items_list::", [IL]),
        (r"^item_get::", [IG]),
        (r"^create::", [C]),
        (r"^generate::", [G]),
        (r"^delete::", [D]),
        (r"^errors::", [E]),
    ],
    "go_sdk": [
        (r"^query_escape_matches", []),
        (r"^vaults_by_title", [VT, V]),
        (r"^items_by_title", [IT, IL]),
        (r"^get_item_falls_back", [IG, IT]),
        (r"^create_item", [C, G]),
        (r"^update_item", [U, O]),
        (r"^delete_item", [D]),
        (r"^files_", [F]),
        (r"^a_trailing_slash_host", [VT, C, IG, U, F, D]),
        (r"^every_error", [E]),
    ],
    "operator": [
        (r"^the_vault_title_lookup|^vault_names_fold_case", [VT]),
        (r"^items_by_uuid_else_by_title", [IG, IT]),
        (r"^a_poll_maps_fields_urls_and_files", [IG, F]),
        (r"^file_content_is_never_a_500", [F, E]),
    ],
    "external_secrets": [
        (r"^find_item_searches_the_vaults", [VT, IT]),
        (r"^more_than_one_match", [IT, E]),
        (r"^properties_select_fields", [IG, F]),
        (r"^find_all_filters_summaries", [IL, IG]),
        (r"^push_secret", [C, U, D]),
        (r"out_of_scope", [E]),
    ],
    "terraform": [
        (r"^create_then_poll", [C, IG, G]),
        (r"^update_then_poll", [U, IG]),
        (r"^delete_then_poll", [D, E]),
        (r"^back_to_back_cycles", [C, U, D]),
        (r"^data_sources_read_vault_and_item_by_title_and_files", [VT, V, IT, F]),
        (r"^a_database_item", [C, IG]),
        (r"^an_item_without_a_url", [C]),
    ],
    "vault_plugin": [
        (r"^list_write_read_update_delete", [V, VT, IL, IG, IT, C, U, D, G, E]),
        (r"^readme_examples", [C]),
    ],
    "doco_cd": [
        (r"^the_test_totp_matches", []),
        (r"^resolves_vault_by_name_item_by_title", [VT, IT]),
        (r"^the_section_label_selects", [IT]),
        (r"^otp_attribute", [O]),
        (r"^ten_concurrent_resolutions", [IT]),
    ],
    "ansible": [
        (r"^generic_item_creates", [C, G]),
        (r"^item_info_falls_back", [IG, IT, V, VT]),
        (r"^update_carries", [U]),
        (r"^delete_is_204", [D]),
        (r"^errors_carry", [E]),
    ],
    "op_cli": [
        (r"^op_read_by_vault_name_and_item_title", [VT, IT]),
        (r"^ids_go_through_the_title_filters", [V, IG]),
        (r"^timestamps_end_in_z", [V, IL, IG]),
        (r"^the_item_filter_is_never_ignored", [IL]),
    ],
}

# Any client, after its own rules: a keyword in the test id (lower case, punctuation as "_").
FALLBACK: list[tuple[str, list[str]]] = [
    (r"totp|otp", [O]),
    (r"file|document|content_path", [F]),
    (r"generat|recipe|entropy", [G]),
    (r"patch", ["patch"]),
    (r"delete|remove", [D]),
    (r"update|(^|_)put(_|$)", [U]),
    (r"create|(^|_)add(_|$)|push", [C]),
    (r"vaults?_(by_)?(title|name)|vault_names?", [VT]),
    (r"by_title|title|name", [IT]),
    (r"vault", [V]),
    (r"error|invalid|malformed|unknown|refus|reject|forbidden|denied|not_found|scope|token|40[0134]", [E]),
    (r"list|filter|summar|items", [IL]),
    (r"item|read|get", [IG]),
]

STATUSES = ("works", "defect", "not applicable", "fails")
RAW_STATUS = {"passed": "works", "failed": "fails", "defect": "defect"}


class Problem(Exception):
    """A message for the user; exit 1."""


def capabilities_of(client: str, test_id: str) -> list[str] | None:
    """The capabilities of a test, or None when no rule matches."""
    for pattern, caps in RULES.get(client, []):
        if re.search(pattern, test_id):
            return caps
    key = re.sub(r"[^a-z0-9]+", "_", test_id.lower())
    for pattern, caps in FALLBACK:
        if re.search(pattern, key):
            return caps
    return None


# --------------------------------------------------------------------------------------------
# record: raw suite output -> compat/results/SUITE.json

REPLAY_LINE = re.compile(r"^test replay::(\w+)::(\w+) \.\.\. (ok|FAILED|ignored)\b")


def read_replay(path: Path) -> list[dict]:
    """`test replay::<tool>::<name> ... ok|FAILED|ignored` lines of a cargo test run."""
    tests = []
    text = path.read_text(errors="replace")
    for line in text.splitlines():
        m = REPLAY_LINE.match(line.strip())
        if not m:
            continue
        tool, name, result = m.groups()
        outcome = {"ok": "passed", "FAILED": "failed", "ignored": "skipped"}[result]
        tests.append({"client": tool, "test": name, "outcome": outcome, "reason": None})
    if not re.search(r"^test result: ", text, re.M):
        raise Problem(f"{path}: no `test result:` line; the cargo test run did not finish")
    return tests


def read_jsonl(path: Path, client: str) -> list[dict]:
    tests = []
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            raise Problem(f"{path}:{n}: not JSON: {e}") from None
        tests.append({"client": client, "test": row["test"], "outcome": row["outcome"], "reason": row.get("reason")})
    return tests


def record(suite: str, raw: Path) -> dict:
    if suite not in SUITES:
        raise Problem(f"unknown suite {suite!r}; one of {', '.join(SUITES)}")
    if not raw.is_file():
        raise Problem(f"{raw}: no such file")
    tests = read_replay(raw) if suite == "replay" else read_jsonl(raw, suite)
    clients = REPLAY_TOOLS if suite == "replay" else [suite]
    rows, unmapped, counts = [], [], {"passed": 0, "failed": 0, "skipped": 0, "defect": 0}
    for t in tests:
        if t["outcome"] not in counts:
            raise Problem(f"{raw}: test {t['test']!r} has the unknown outcome {t['outcome']!r}")
        counts[t["outcome"]] += 1
        if t["client"] not in clients:
            unmapped.append(f"{t['client']}::{t['test']} (no such client in compat_table.py CLIENTS)")
            continue
        if t["outcome"] == "skipped":
            continue
        # pytest parameters ("[sync]", "[GET-/v1/vaults-None-404]") are the same test.
        test_id = re.sub(r"\[.*\]$", "", t["test"]) if suite == "python" else t["test"]
        caps = capabilities_of(t["client"], test_id)
        if caps is None:
            unmapped.append(f"{t['client']}: {t['test']}")
            continue
        status = RAW_STATUS[t["outcome"]]
        reason = t["reason"] if status in ("defect", "fails") else None
        for cap in caps or [None]:
            rows.append({"client": t["client"], "capability": cap, "status": status, "test": t["test"], "reason": reason})
    for client in clients:
        for cap, why in NOT_APPLICABLE.get(client, {}).items():
            rows.append({"client": client, "capability": cap, "status": "not applicable", "test": None, "reason": why})
    result = {
        "suite": suite,
        "source": str(raw.relative_to(ROOT)) if raw.is_relative_to(ROOT) else str(raw),
        "tests": counts,
        "unmapped": unmapped,
        "results": rows,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{suite}.json").write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    return result


# --------------------------------------------------------------------------------------------
# table

def load_results() -> list[dict]:
    missing = [s for s in SUITES if not (RESULTS / f"{s}.json").is_file()]
    if missing:
        raise Problem(
            "compat_table: no results for the suite(s) "
            + ", ".join(missing)
            + f" (expected {', '.join(str((RESULTS / f'{s}.json').relative_to(ROOT)) for s in missing)}). "
            "The table is made from a complete run: run `bash scripts/test.sh`, or the missing "
            "suite's runner (compat/run-python.sh, compat/run-js.sh, compat/run-rust.sh; replay: "
            "`cargo test --test api replay:: | tee compat/results/replay.txt` then "
            "`python3 scripts/compat_table.py record replay compat/results/replay.txt`)."
        )
    rows, unmapped = [], []
    for suite in SUITES:
        data = json.loads((RESULTS / f"{suite}.json").read_text())
        unmapped += data.get("unmapped", [])
        for row in data["results"]:
            if row["status"] not in STATUSES:
                raise Problem(f"{suite}.json: unknown status {row['status']!r}")
            rows.append(row)
    if unmapped:
        raise Problem(
            "compat_table: these tests belong to no capability; add a rule to RULES in "
            "scripts/compat_table.py (use [] for a test outside the table's columns):\n  "
            + "\n  ".join(unmapped)
        )
    return rows


def cell_status(rows: list[dict]) -> str | None:
    found = {r["status"] for r in rows}
    for status in ("fails", "defect", "works", "not applicable"):
        if status in found:
            return status
    return None


def render(rows: list[dict]) -> str:
    by_cell: dict[tuple[str, str], list[dict]] = {}
    for r in rows:
        if r["capability"] is not None:
            by_cell.setdefault((r["client"], r["capability"]), []).append(r)
    notes: list[str] = []  # footnote texts, numbered in order of first use
    lines = [
        "| client | " + " | ".join(h for _, h in CAPABILITIES) + " |",
        "|---|" + "---|" * len(CAPABILITIES),
    ]
    gaps = False
    for client, _suite, label, short in CLIENTS:
        cells = []
        for cap in CAP_KEYS:
            cell = by_cell.get((client, cap), [])
            # A test result overrides a not-applicable declaration.
            tested = [r for r in cell if r["status"] != "not applicable"]
            status = cell_status(tested or cell)
            if status == "works":
                cells.append("✅")
            elif status == "not applicable":
                cells.append("—")
            elif status is None:
                cells.append("❔")
                gaps = True
            else:
                kind = "defect" if status == "defect" else "fails"
                numbers = []
                for r in tested:
                    if r["status"] != kind:
                        continue
                    text = f"{short}, {dict(CAPABILITIES)[cap]}: " if kind == "fails" else f"`{short}`: "
                    text += (r["reason"] or f"test {r['test']} failed").strip()
                    if kind == "fails":
                        text += f" (test `{r['test']}`)"
                    if text not in notes:
                        notes.append(text)
                    n = notes.index(text) + 1
                    if n not in numbers:
                        numbers.append(n)
                mark = "⚠️" if kind == "defect" else "❌"
                cells.append(f"{mark} ({', '.join(map(str, sorted(numbers)))})")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    legend = (
        "✅ works · — not applicable (the client has no such call) · ⚠️ known client defect: the "
        "client itself cannot handle Connect's documented response or request (latchkey's raw "
        "response is checked against Connect's shape instead) · ❌ fails"
    )
    if gaps:
        legend += " · ❔ no test covers it yet"
    out = lines + ["", legend]
    if notes:
        out.append("")
        out += [f"{n}. {text}" for n, text in enumerate(notes, 1)]
    out += ["", "Generated from the test results by scripts/compat_table.py"]
    return "\n".join(out)


def readme_with(table: str) -> tuple[str, str]:
    text = README.read_text()
    if text.count(START) != 1 or text.count(END) != 1 or text.index(START) > text.index(END):
        raise Problem(f"{README.name}: expected one {START} ... {END} section")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return text, f"{head}{START}\n{table}\n{END}{tail}"


def main(argv: list[str]) -> int:
    if argv and argv[0] == "record":
        p = argparse.ArgumentParser(prog="compat_table.py record")
        p.add_argument("suite", choices=SUITES)
        p.add_argument("input", type=Path)
        args = p.parse_args(argv[1:])
        result = record(args.suite, args.input.resolve())
        if result["unmapped"]:
            print(f"compat_table: {len(result['unmapped'])} test(s) of {args.suite} belong to no "
                  "capability; `compat_table.py --check` will fail:", file=sys.stderr)
            for u in result["unmapped"]:
                print(f"  {u}", file=sys.stderr)
        return 0
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--check", action="store_true", help="exit 1 if README.md differs from the results")
    args = p.parse_args(argv)
    table = render(load_results())
    old, new = readme_with(table)
    if args.check:
        if old != new:
            diff = difflib.unified_diff(old.splitlines(), new.splitlines(), "README.md", "from compat/results", lineterm="", n=1)
            print("compat_table: the README compatibility table differs from the test results; run "
                  "`python3 scripts/compat_table.py` and commit README.md:", file=sys.stderr)
            print("\n".join(diff), file=sys.stderr)
            return 1
        # Silent on success: the last line of scripts/test.sh stays the last suite's summary.
        return 0
    if old != new:
        README.write_text(new)
        print("compat_table: README.md table rewritten")
    else:
        print("compat_table: README.md table already up to date")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except Problem as e:
        print(e, file=sys.stderr)
        sys.exit(1)
