"""Helpers shared by the Python-SDK compatibility tests.

Nothing here talks to latchkey through the SDK except the thin wrappers that
record which SDK entry points the suite exercised (see test_99_coverage.py).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import inspect
import os
import re
import string
import struct
import time
import urllib.parse
import uuid
from typing import Any, Dict, Iterable, Optional, Set

import onepasswordconnectsdk
from onepasswordconnectsdk.async_client import AsyncClient
from onepasswordconnectsdk.client import Client

ID_RE = re.compile(r"^[a-z0-9]{26}$")
USER_ID_RE = re.compile(r"^[A-Z0-9]{26}$")
VAULT_TYPES = {"USER_CREATED", "PERSONAL", "EVERYONE", "TRANSFER"}
PURPOSES = {"", "USERNAME", "PASSWORD", "NOTES"}

LETTERS = string.ascii_letters
DIGITS = string.digits
# The SYMBOLS alphabet of Connect is not documented; accept any printable,
# non-space ASCII punctuation.
SYMBOLS = string.punctuation

# --------------------------------------------------------------------------
# Recording which public SDK entry points the suite calls.
# --------------------------------------------------------------------------
CALLED: Dict[str, Set[str]] = {"sync": set(), "async": set(), "module": set()}


def public_methods(cls) -> Set[str]:
    """Public callables defined on an SDK client class."""
    return {
        name
        for name, _ in inspect.getmembers(cls, predicate=inspect.isfunction)
        if not name.startswith("_")
    }


SYNC_METHODS = public_methods(Client)
ASYNC_METHODS = public_methods(AsyncClient)
MODULE_FUNCTIONS = {"new_client", "new_client_from_environment", "load", "load_dict"}


class Recorded:
    """Transparent proxy around an SDK client that records method access."""

    def __init__(self, inner: Any, flavor: str):
        object.__setattr__(self, "_inner", inner)
        object.__setattr__(self, "_flavor", flavor)

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if callable(attr) and not name.startswith("_"):
            CALLED[self._flavor].add(name)
        return attr

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._inner, name, value)

    @property
    def flavor(self) -> str:
        return self._flavor

    @property
    def is_async(self) -> bool:
        return self._flavor == "async"


def new_client(url: str, token: str, is_async: bool = False, config=None):
    CALLED["module"].add("new_client")
    inner = onepasswordconnectsdk.new_client(url, token, is_async=is_async, config=config)
    return Recorded(inner, "async" if is_async else "sync")


def new_client_from_environment(url: Optional[str] = None, token: Optional[str] = None):
    CALLED["module"].add("new_client_from_environment")
    return onepasswordconnectsdk.new_client_from_environment(url, token)


def load(client, obj):
    CALLED["module"].add("load")
    return onepasswordconnectsdk.load(client, obj)


def load_dict(client, cfg):
    CALLED["module"].add("load_dict")
    return onepasswordconnectsdk.load_dict(client, cfg)


async def run(value: Any) -> Any:
    """Await the result of an async-client call; pass a sync result through."""
    if inspect.isawaitable(value):
        return await value
    return value


async def close_client(client: Any) -> None:
    inner = client._inner if isinstance(client, Recorded) else client
    session = inner.session
    if isinstance(inner, AsyncClient):
        await session.aclose()
    else:
        session.close()


# --------------------------------------------------------------------------
# TOTP (RFC 6238 / RFC 4226), computed independently of the server.
# --------------------------------------------------------------------------
def b32_secret(secret: str) -> bytes:
    s = secret.strip().replace(" ", "").upper()
    s += "=" * ((8 - len(s) % 8) % 8)
    return base64.b32decode(s)


def hotp(key: bytes, counter: int, digits: int = 6, algo=hashlib.sha1) -> str:
    mac = hmac.new(key, struct.pack(">Q", counter), algo).digest()
    offset = mac[-1] & 0x0F
    code = (struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF) % (10 ** digits)
    return str(code).zfill(digits)


def totp(key: bytes, at: float, step: int = 30, digits: int = 6, algo=hashlib.sha1) -> str:
    return hotp(key, int(at // step), digits, algo)


def totp_window(otpauth_uri: str, at: Optional[float] = None) -> Set[str]:
    """Codes for the previous, current and next 30 s window of an otpauth URI."""
    parsed = urllib.parse.urlparse(otpauth_uri)
    params = urllib.parse.parse_qs(parsed.query)
    key = b32_secret(params["secret"][0])
    digits = int(params.get("digits", ["6"])[0])
    step = int(params.get("period", ["30"])[0])
    algo = {"SHA1": hashlib.sha1, "SHA256": hashlib.sha256, "SHA512": hashlib.sha512}[
        params.get("algorithm", ["SHA1"])[0].upper()
    ]
    now = time.time() if at is None else at
    return {totp(key, now + delta, step, digits, algo) for delta in (-step, 0, step)}


def random_b32_secret(nbytes: int = 20) -> str:
    return base64.b32encode(os.urandom(nbytes)).decode().rstrip("=")


# --------------------------------------------------------------------------
# Small utilities
# --------------------------------------------------------------------------
def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:10]}"


def field_by_label(item, label: str, section_id: Optional[str] = None):
    matches = [
        f for f in (item.fields or [])
        if f.label == label and (section_id is None or (f.section and f.section.id == section_id))
    ]
    assert len(matches) == 1, (
        f"expected exactly one field labelled {label!r}"
        f"{' in section ' + section_id if section_id else ''} on {item.title!r}, "
        f"got {[(f.label, f.section and f.section.id) for f in (item.fields or [])]}"
    )
    return matches[0]


def field_by_purpose(item, purpose: str):
    matches = [f for f in (item.fields or []) if f.purpose == purpose]
    assert len(matches) == 1, (
        f"expected exactly one {purpose} field on {item.title!r}, "
        f"got {[(f.id, f.purpose) for f in (item.fields or [])]}"
    )
    return matches[0]


def assert_only_chars(value: str, allowed: Iterable[str], what: str = "value") -> None:
    allowed = set(allowed)
    bad = sorted({c for c in value if c not in allowed})
    assert not bad, f"{what} {value!r} contains characters outside its recipe: {bad!r}"


def error_text(exc: BaseException) -> str:
    """The SDK's message with the line continuations' whitespace collapsed."""
    return " ".join(str(exc).split())
