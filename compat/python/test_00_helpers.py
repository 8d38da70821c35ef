"""Self-test of the suite's own RFC 6238 implementation (RFC 6238 appendix B)."""
import hashlib

import pytest

from support import totp, totp_window


@pytest.mark.parametrize(
    "t, algo, key, expected",
    [
        (59, hashlib.sha1, b"12345678901234567890", "94287082"),
        (1111111109, hashlib.sha1, b"12345678901234567890", "07081804"),
        (59, hashlib.sha256, b"12345678901234567890123456789012", "46119246"),
        (1234567890, hashlib.sha256, b"12345678901234567890123456789012", "91819424"),
        (59, hashlib.sha512, b"1234567890123456789012345678901234567890123456789012345678901234", "90693936"),
        (20000000000, hashlib.sha512, b"1234567890123456789012345678901234567890123456789012345678901234", "47863826"),
    ],
)
def test_rfc6238_vectors(t, algo, key, expected):
    assert totp(key, t, 30, 8, algo) == expected


def test_totp_window_from_uri():
    # base32("12345678901234567890") = GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
    uri = "otpauth://totp/x?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&digits=8"
    assert "94287082" in totp_window(uri, at=59)
    assert totp_window(uri, at=59) == {totp(b"12345678901234567890", t, 30, 8) for t in (29, 59, 89)}
