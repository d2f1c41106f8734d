"""The two AK/SK signing schemes of Huawei Cloud's API gateway, verified as the SDK signs.

``SDK-HMAC-SHA256`` (spec §1.3) signs with the secret key; ``V11-HMAC-SHA256`` (spec §1.4)
signs with a key derived by one HKDF-SHA256 block from the AK, the SK and
``{YYYYMMDD}/{region}/iotdm``. Both sign the same canonical request: method, path
(percent-decoded then re-encoded, with a trailing ``/``), sorted query, the signed headers and
the body's SHA-256. Derived keys are cached per (AK, SK, info): one day per region each.
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import Any, final
from urllib.parse import quote, unquote

BASIC = "SDK-HMAC-SHA256"
DERIVED = "V11-HMAC-SHA256"
SERVICE = "iotdm"
EMPTY_HASH = hashlib.sha256(b"").hexdigest()
UNSIGNED = "UNSIGNED-PAYLOAD"


class SignatureError(ValueError):
    """Why a request's signature was refused (never reaches the wire: the answer is 401)."""


@final
@dataclass(frozen=True, slots=True)
class Authorization:
    """The parsed ``Authorization`` header."""

    algorithm: str
    access_key: str
    #: ``{YYYYMMDD}/{region}/{service}`` for V11, "" for the basic scheme
    info: str
    signed_headers: tuple[str, ...]
    signature: str


_SDK_SHAPE = re.compile(
    r"(SDK-HMAC-SHA256) Access=([^,\s]+), SignedHeaders=([^,\s]+), Signature=([0-9a-f]{64})"
)


_PARSED: dict[str, Authorization] = {}


def parse_authorization(value: str) -> Authorization:
    """Parse ``{ALG} Access=AK, SignedHeaders=a;b, Signature=hex`` (or ``Credential=AK/info``)."""
    found = _PARSED.get(value)
    if found is None:
        found = _parse_authorization(value)
        if len(_PARSED) >= 1024:
            _PARSED.clear()
        _PARSED[value] = found
    return found


def _parse_authorization(value: str) -> Authorization:
    exact = _SDK_SHAPE.fullmatch(value)
    if exact is not None:  # the SDK's own layout: one regex instead of the general parser
        _alg, access_key, signed, signature = exact.groups()
        return Authorization(BASIC, access_key, "", tuple(signed.split(";")), signature)
    algorithm, _, rest = value.strip().partition(" ")
    if algorithm not in (BASIC, DERIVED):
        raise SignatureError(f"unknown signing algorithm {algorithm[:40]!r}")
    fields: dict[str, str] = {}
    for part in rest.split(","):
        key, sep, item = part.strip().partition("=")
        if not sep or key in fields:
            raise SignatureError(f"malformed Authorization element {part.strip()[:40]!r}")
        fields[key] = item
    info = ""
    if algorithm == BASIC:
        access_key = fields.get("Access", "")
    else:
        access_key, _, info = fields.get("Credential", "").partition("/")
        if info.count("/") != 2:
            raise SignatureError("V11 Credential must be AK/YYYYMMDD/region/service")
    signed = fields.get("SignedHeaders", "")
    signature = fields.get("Signature", "")
    if not access_key or not signed or not signature:
        raise SignatureError("Authorization needs the access key, SignedHeaders and Signature")
    return Authorization(algorithm, access_key, info, tuple(signed.split(";")), signature)


_PLAIN_PATH = re.compile(r"[A-Za-z0-9_.~/-]*")


def canonical_uri(path: str) -> str:
    if _PLAIN_PATH.fullmatch(path):  # nothing to decode or encode
        return path if path.endswith("/") else path + "/"
    uri = "/".join(quote(segment, safe="~") for segment in unquote(path).split("/"))
    return uri if uri.endswith("/") else uri + "/"


def canonical_query(query_string: str) -> str:
    if not query_string:
        return ""
    pairs = []
    for item in query_string.split("&"):
        if item:
            key, _, value = item.partition("=")
            pairs.append((unquote(key), unquote(value)))
    pairs.sort()
    return "&".join(f"{quote(k, safe='~')}={quote(v, safe='~')}" for k, v in pairs)


def canonical_request(
    method: str,
    path: str,
    query_string: str,
    headers: dict[str, str],
    signed: tuple[str, ...],
    body: bytes,
) -> str:
    """The canonical request of spec §1.3 (``headers`` keyed by lower-case name)."""
    lines = []
    for name in signed:
        value = headers.get(name)
        if value is None:
            raise SignatureError(f"signed header {name[:40]!r} is not in the request")
        lines.append(f"{name}:{value.strip()}\n")
    if headers.get("x-sdk-content-sha256") == UNSIGNED:
        payload = UNSIGNED
    else:
        payload = hashlib.sha256(body).hexdigest() if body else EMPTY_HASH
    return (
        f"{method}\n{canonical_uri(path)}\n{canonical_query(query_string)}\n"
        f"{''.join(lines)}\n{';'.join(signed)}\n{payload}"
    )


def string_to_sign(algorithm: str, date: str, info: str, canonical: str) -> str:
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    if algorithm == BASIC:
        return f"{BASIC}\n{date}\n{digest}"
    return f"{DERIVED}\n{date}\n{info}\n{digest}"


def derive_key(access_key: str, secret_key: str, info: str) -> str:
    """The V11 signing key: one HKDF-SHA256 block, as lowercase hex (used as ASCII bytes)."""
    prk = hmac.new(access_key.encode(), secret_key.encode(), hashlib.sha256).digest()
    return hmac.new(prk, info.encode() + b"\x01", hashlib.sha256).hexdigest()


def sign(key: str, text: str) -> str:
    return hmac.digest(key.encode(), text.encode("utf-8"), "sha256").hex()


_LAST_DATE: list[tuple[str, float]] = [("", 0.0)]


def parse_sdk_date(text: str) -> float:
    """``20250102T030405Z`` as POSIX seconds; ``SignatureError`` if it is not that shape."""
    last = _LAST_DATE[0]
    if last[0] == text:  # requests of the same second share their date
        return last[1]
    at = _parse_sdk_date(text)
    _LAST_DATE[0] = (text, at)
    return at


def _parse_sdk_date(text: str) -> float:
    if len(text) != 16 or text[8] != "T" or text[15] != "Z":
        raise SignatureError(f"X-Sdk-Date {text[:20]!r} is not yyyyMMddTHHmmssZ")
    digits = text[:8] + text[9:15]
    if not (digits.isascii() and digits.isdigit()):
        raise SignatureError(f"X-Sdk-Date {text[:20]!r} is not yyyyMMddTHHmmssZ")
    y, mo, d = int(text[0:4]), int(text[4:6]), int(text[6:8])
    h, mi, s = int(text[9:11]), int(text[11:13]), int(text[13:15])
    if not (1 <= mo <= 12 and 1 <= d <= 31 and h < 24 and mi < 60 and s < 61):
        raise SignatureError(f"X-Sdk-Date {text!r} is not a valid time")
    return float(calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0)))


@final
class Verifier:
    """Checks signatures; keeps the derived keys it computed (bounded)."""

    __slots__ = ("_derived", "_verified")

    def __init__(self) -> None:
        self._derived: dict[tuple[str, str, str], str] = {}
        #: signed requests already found good: the same bytes under the same key verify the
        #: same way (the date's skew is checked by the caller on every request)
        self._verified: set[tuple[Any, ...]] = set()

    def signing_key(self, auth: Authorization, secret_key: str) -> str:
        if auth.algorithm == BASIC:
            return secret_key
        cache_key = (auth.access_key, secret_key, auth.info)
        key = self._derived.get(cache_key)
        if key is None:
            if len(self._derived) >= 1024:
                self._derived.clear()
            key = self._derived[cache_key] = derive_key(auth.access_key, secret_key, auth.info)
        return key

    def verify(
        self,
        auth: Authorization,
        secret_key: str,
        *,
        method: str,
        path: str,
        query_string: str,
        headers: dict[str, str],
        body: bytes,
    ) -> None:
        """Raise :class:`SignatureError` unless ``auth`` signs this request with ``secret_key``."""
        date = headers.get("x-sdk-date", "")
        if "x-sdk-date" not in auth.signed_headers:
            raise SignatureError("X-Sdk-Date must be signed")
        if auth.algorithm == DERIVED:
            day, _, rest = auth.info.partition("/")
            if day != date[:8] or not rest.endswith("/" + SERVICE):
                raise SignatureError(f"credential scope {auth.info!r} does not match the date")
        seen = (
            auth,
            secret_key,
            method,
            path,
            query_string,
            body,
            headers.get("x-sdk-content-sha256"),
            *[headers.get(name) for name in auth.signed_headers],
        )
        if seen in self._verified:
            return
        canonical = canonical_request(
            method, path, query_string, headers, auth.signed_headers, body
        )
        expected = sign(
            self.signing_key(auth, secret_key),
            string_to_sign(auth.algorithm, date, auth.info, canonical),
        )
        if not hmac.compare_digest(expected.encode(), auth.signature.encode("utf-8", "replace")):
            raise SignatureError("the signature does not match")
        if len(self._verified) >= 4096:
            self._verified.clear()
        self._verified.add(seen)
