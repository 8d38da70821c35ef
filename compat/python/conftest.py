"""Session fixtures: a live `latchkey dev` server plus vaults and scoped tokens.

The server is started once per test session on a free port with a fresh data
directory, and is always terminated in teardown (and, on Linux, also killed by
the kernel should this pytest process die without running teardown).
"""
from __future__ import annotations

import ctypes
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

import httpx
import pytest

import support

REPO_ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
CLI_TIMEOUT_S = 30.0


def _latchkey_bin() -> Path:
    raw = os.environ.get("LATCHKEY_BIN", "target/debug/latchkey")
    path = Path(raw)
    if not path.is_absolute():
        path = REPO_ROOT / path
    return path


def _clean_env() -> Dict[str, str]:
    """The environment for latchkey processes, without settings that would
    redirect it to another store, port or token."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not (k.startswith("OP_") or k.startswith("LATCHKEY_") or k == "XDG_DATA_HOME")
    }
    env.setdefault("RUST_BACKTRACE", "1")
    return env


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    """Ask the kernel to SIGTERM the server if this pytest process dies."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


@dataclass
class Latchkey:
    binary: Path
    workdir: Path
    data_dir: Path
    proc: subprocess.Popen
    host: str
    dev_token: str
    stdout_path: Path
    stderr_path: Path
    issued: List[str] = field(default_factory=list)

    @property
    def credentials(self) -> Path:
        return self.data_dir / "credentials.json"

    @property
    def store(self) -> Path:
        return self.data_dir / "data"

    def logs(self) -> str:
        out = self.stdout_path.read_text(errors="replace") if self.stdout_path.exists() else ""
        err = self.stderr_path.read_text(errors="replace") if self.stderr_path.exists() else ""
        return f"--- latchkey stdout ---\n{out[-4000:]}\n--- latchkey stderr ---\n{err[-4000:]}"

    def cli(self, *args: str) -> str:
        cmd = [str(self.binary), *args]
        res = subprocess.run(
            cmd, capture_output=True, text=True, timeout=CLI_TIMEOUT_S, env=_clean_env()
        )
        if res.returncode != 0:
            raise RuntimeError(
                f"{' '.join(cmd)} exited {res.returncode}\nstdout: {res.stdout}\nstderr: {res.stderr}"
            )
        return res.stdout

    def _store_args(self) -> List[str]:
        return ["--credentials", str(self.credentials), "--data-dir", str(self.store)]

    def vault_create(self, name: str, description: Optional[str] = None) -> str:
        args = ["vault", "create", *self._store_args()]
        if description is not None:
            args += ["--description", description]
        out = self.cli(*args, name).strip()
        match = re.search(r"\b[a-z0-9]{26}\b", out)
        assert match, f"`latchkey vault create` printed no vault id: {out!r}"
        return match.group(0)

    def token_issue(self, name: str, *vaults: str, expires_in: Optional[str] = None) -> str:
        args = ["token", "issue", *self._store_args(), "--name", name]
        for spec in vaults:
            args += ["--vault", spec]
        if expires_in:
            args += ["--expires-in", expires_in]
        out = self.cli(*args).strip()
        match = re.search(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", out)
        assert match, f"`latchkey token issue` printed no JWT: {out!r}"
        self.issued.append(name)
        return match.group(0)

    def token_revoke(self, jti_or_name: str) -> None:
        self.cli("token", "revoke", *self._store_args(), jti_or_name)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=STOP_TIMEOUT_S)


def _start_latchkey(binary: Path) -> Latchkey:
    workdir = Path(tempfile.mkdtemp(prefix="latchkey-pycompat-"))
    data_dir = workdir / "dev"
    stdout_path = workdir / "stdout.log"
    stderr_path = workdir / "stderr.log"
    with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
        proc = subprocess.Popen(
            [str(binary), "dev", "--data-dir", str(data_dir), "--port", "0"],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            env=_clean_env(),
            cwd=workdir,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )
    host = token = None
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        text = stdout_path.read_text(errors="replace")
        h = re.search(r"^export OP_CONNECT_HOST=(\S+)\s*$", text, re.M)
        t = re.search(r"^export OP_CONNECT_TOKEN=(\S+)\s*$", text, re.M)
        if h and t:
            host, token = h.group(1), t.group(1)
            break
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    lk = Latchkey(binary, workdir, data_dir, proc, host or "", token or "", stdout_path, stderr_path)
    if not (host and token):
        lk.stop()
        logs = lk.logs()
        shutil.rmtree(workdir, ignore_errors=True)
        raise RuntimeError(
            f"`latchkey dev` did not print OP_CONNECT_HOST/OP_CONNECT_TOKEN within "
            f"{STARTUP_TIMEOUT_S:.0f} s (exit code {proc.returncode})\n{logs}"
        )
    first = stdout_path.read_text(errors="replace").splitlines()[0]
    assert re.match(r"^# latchkey dev: ready in \d+ ms; data in ", first), first
    return lk


@pytest.fixture(scope="session")
def latchkey():
    binary = _latchkey_bin()
    if not binary.is_file() or not os.access(binary, os.X_OK):
        pytest.fail(
            f"latchkey binary not found at {binary}; build it (cargo build) or set LATCHKEY_BIN",
            pytrace=False,
        )
    lk = _start_latchkey(binary)
    try:
        yield lk
    finally:
        lk.stop()
        if lk.proc.returncode not in (0, -signal.SIGTERM, 143):
            sys.stderr.write(
                f"\nlatchkey dev exited with {lk.proc.returncode} on SIGTERM\n{lk.logs()}\n"
            )
        shutil.rmtree(lk.workdir, ignore_errors=True)


@dataclass
class Tokens:
    dev: str          # printed by `latchkey dev`: rw on Demo only
    work: str         # Demo:r + Compat Work:rw
    other: str        # Compat Other:rw only
    work_read: str    # Compat Work:r only
    work_write: str   # Compat Work:w only


@dataclass
class World:
    host: str
    lk: Latchkey
    demo_vault: str
    work_vault: str
    other_vault: str
    work_vault_name: str
    other_vault_name: str
    demo_items: Dict[str, str]        # title -> id
    tokens: Tokens

    def raw(self, token: Optional[str] = None) -> httpx.Client:
        """A plain HTTP client for setup and clean-up (not the code under test)."""
        return httpx.Client(
            base_url=self.host,
            headers={"Authorization": f"Bearer {token or self.tokens.work}"},
            timeout=10.0,
        )


WORK_VAULT_NAME = "Compat Work"
OTHER_VAULT_NAME = "Compat Other"


@pytest.fixture(scope="session")
def world(latchkey: Latchkey) -> World:
    with httpx.Client(
        base_url=latchkey.host,
        headers={"Authorization": f"Bearer {latchkey.dev_token}"},
        timeout=10.0,
    ) as http:
        resp = http.get("/v1/vaults")
        assert resp.status_code == 200, f"GET /v1/vaults with the dev token: {resp.status_code} {resp.text}"
        vaults = resp.json()
        demo = [v for v in vaults if v["name"] == "Demo"]
        assert len(demo) == 1, f"expected the seeded vault 'Demo' in {vaults}"
        demo_id = demo[0]["id"]
        resp = http.get(f"/v1/vaults/{demo_id}/items")
        assert resp.status_code == 200, resp.text
        demo_items = {i["title"]: i["id"] for i in resp.json()}
    for title in ("Example Login", "Database", "API Token", "Wi-Fi", "Welcome Document"):
        assert title in demo_items, f"demo item {title!r} missing from {sorted(demo_items)}"

    work_id = latchkey.vault_create(WORK_VAULT_NAME, description="Python SDK compat suite")
    other_id = latchkey.vault_create(OTHER_VAULT_NAME)
    tokens = Tokens(
        dev=latchkey.dev_token,
        work=latchkey.token_issue("py-work", f"{demo_id}:r", f"{work_id}:rw"),
        other=latchkey.token_issue("py-other", f"{other_id}:rw"),
        work_read=latchkey.token_issue("py-work-read", f"{work_id}:r"),
        work_write=latchkey.token_issue("py-work-write", f"{work_id}:w"),
    )
    return World(
        host=latchkey.host,
        lk=latchkey,
        demo_vault=demo_id,
        work_vault=work_id,
        other_vault=other_id,
        work_vault_name=WORK_VAULT_NAME,
        other_vault_name=OTHER_VAULT_NAME,
        demo_items=demo_items,
        tokens=tokens,
    )


@pytest.fixture(params=["sync", "async"])
def flavor(request) -> str:
    return request.param


@pytest.fixture
async def make_client(flavor: str, world: World):
    """Factory for SDK clients of the current flavor (sync or async)."""
    made = []

    def factory(token: Optional[str] = None, config=None):
        client = support.new_client(
            world.host, world.tokens.work if token is None else token, is_async=(flavor == "async"), config=config
        )
        made.append(client)
        return client

    yield factory
    for client in made:
        await support.close_client(client)


@pytest.fixture
async def client(make_client):
    """An SDK client (sync or async) with the `work` token."""
    return make_client()


@pytest.fixture
def sync_client(world: World):
    c = support.new_client(world.host, world.tokens.work)
    yield c
    c._inner.session.close()


@pytest.fixture
def cleanup(world: World):
    """Register (vault_id, item_id) pairs to delete after the test."""
    pending: List[tuple] = []
    yield pending
    with world.raw() as http:
        for vault_id, item_id in pending:
            http.delete(f"/v1/vaults/{vault_id}/items/{item_id}")


# --- Results for the README compatibility table (scripts/compat_table.py) ----------------------
# With $LATCHKEY_COMPAT_RESULTS set, one JSON line per test is written there at the end of the
# session: {"test": "<file>::<name>[<param>]", "outcome": passed|failed|skipped|defect, "reason"}.
# An xfail is a known client defect, its reason the xfail reason; run-python.sh turns the file
# into compat/results/python.json.
_outcomes: Dict[str, Dict[str, Optional[str]]] = {}


def pytest_runtest_logreport(report):
    path, _, name = report.nodeid.partition("::")
    test_id = f"{os.path.basename(path)}::{name}"
    row = _outcomes.setdefault(test_id, {"outcome": "passed", "reason": None})
    if row["outcome"] == "failed":
        return
    if report.failed:
        row["outcome"], row["reason"] = "failed", f"{report.when} failed"
    elif report.skipped and hasattr(report, "wasxfail"):
        row["outcome"], row["reason"] = "defect", report.wasxfail or "expected failure"
    elif report.skipped:
        row["outcome"] = "skipped"


def pytest_sessionfinish(session, exitstatus):
    path = os.environ.get("LATCHKEY_COMPAT_RESULTS")
    if not path:
        return
    import json

    with open(path, "w") as out:
        for test_id, row in _outcomes.items():
            out.write(json.dumps({"test": test_id, **row}) + "\n")
