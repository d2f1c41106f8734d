"""The two authentication schemes of EnOS's API gateway (spec §6), as pure functions.

- The documented access-token scheme: ``apim-signature`` = SHA-256 over the access token, the
  sorted query, the raw body, ``apim-timestamp`` and the app secret (spec §6.3, with the
  docs' test vector in the tests).
- The ``apim-accesstoken`` header of ``enos-poseidon``: RSA-OAEP (SHA-1) over
  ``pin$appKey$appSecret$tok1$tok2`` (spec §6.1). The platform decrypts it with its own key
  pair, whose public half a test installs as ``poseidon.poseidon.pubkey``.

``cryptography`` is imported only when a Poseidon token is first decrypted (or the key is
asked for), so ``import fakeiot`` stays fast and the package stays an optional extra.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .._errors import ApiError
from ._errors import EnosError
from ._model import EnosState, Org

if TYPE_CHECKING:
    from .._http import HttpRequest
    from .._settings import Settings

E = EnosError

_HEX64 = re.compile(r"[0-9a-f]{64}")
_CACHE_LIMIT = 1024


def sign(
    access_token: str, query: Mapping[str, str], body: bytes, timestamp: str, app_secret: str
) -> str:
    """The ``apim-signature`` of a request (spec §6.3): lower-case SHA-256 hex of
    ``accessToken + concat(k + v for k, v in sorted(query)) + body + timestamp + appSecret``."""
    params = "".join(k + v for k, v in sorted(query.items()))
    data = (access_token + params).encode("utf-8", "surrogatepass") + body
    data += (timestamp + app_secret).encode("utf-8", "surrogatepass")
    return hashlib.sha256(data).hexdigest()


def token_encryption(app_key: str, timestamp: str, app_secret: str) -> str:
    """The ``encryption`` field of a token request: ``sha256_hex(appKey + timestamp + secret)``."""
    return hashlib.sha256((app_key + timestamp + app_secret).encode()).hexdigest()


def poseidon_pin(app_key: str, app_secret: str) -> str | None:
    """The 6-digit pin ``enos-poseidon`` derives from the second dash-separated group of key
    and secret (spec §6.1); ``None`` when the keys are not UUID-like."""
    try:
        joined = app_key.split("-")[1] + app_secret.split("-")[1]
        return str(int(joined, 16)).zfill(9)[:6]
    except (IndexError, ValueError):
        return None


class PoseidonToken:
    """The five fields of a decrypted ``apim-accesstoken``."""

    __slots__ = ("access", "app_key", "app_secret", "pin", "refresh")

    def __init__(self, pin: str, app_key: str, app_secret: str, access: str, refresh: str) -> None:
        self.pin = pin
        self.app_key = app_key
        self.app_secret = app_secret
        self.access = access
        self.refresh = refresh

    def well_formed(self) -> bool:
        """The pin matches the keys and the short-lived token is an HMAC-SHA256 hex digest."""
        return poseidon_pin(self.app_key, self.app_secret) == self.pin and bool(
            _HEX64.fullmatch(self.access)
        )


class KeyPair:
    """The platform's RSA-2048 key pair for Poseidon tokens, made on first use.

    Generating an RSA key costs about 100 ms, so one pair is made per process and shared by
    every platform (it is immutable); decryptions are cached per token, so a client that
    resends one header pays for RSA once.
    """

    _shared: Any = None
    _shared_lock = threading.Lock()

    def __init__(self) -> None:
        self._cache: dict[str, PoseidonToken | None] = {}

    @classmethod
    def _private_key(cls) -> Any:
        if cls._shared is None:
            with cls._shared_lock:
                if cls._shared is None:
                    try:
                        from cryptography.hazmat.primitives.asymmetric import rsa
                    except ImportError:  # pragma: no cover - depends on the environment
                        from .._extras import MissingExtraError

                        raise MissingExtraError(
                            "cryptography", "EnOS enos-poseidon authentication", "enos"
                        ) from None
                    cls._shared = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return cls._shared

    def public_key_b64(self) -> bytes:
        """The public key as base64 DER (SubjectPublicKeyInfo), as ``poseidon.pubkey`` holds."""
        key = self._private_key()  # first: without cryptography it names the extra to install
        from cryptography.hazmat.primitives import serialization

        der = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return base64.b64encode(der)

    def decrypt(self, header: str) -> PoseidonToken | None:
        """The token's fields, or ``None`` if it is not a token encrypted with this key."""
        cache = self._cache
        if header in cache:
            return cache[header]
        token = self._decrypt(header)
        if len(cache) >= _CACHE_LIMIT:
            del cache[next(iter(cache))]
        cache[header] = token
        return token

    def _decrypt(self, header: str) -> PoseidonToken | None:
        try:
            ciphertext = base64.b64decode(header.strip(), validate=True)
        except (binascii.Error, ValueError):
            return None
        if len(ciphertext) != 256:
            return None
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        try:
            plain = self._private_key().decrypt(
                ciphertext,
                padding.OAEP(
                    mgf=padding.MGF1(algorithm=hashes.SHA1()), algorithm=hashes.SHA1(), label=None
                ),
            )
            text = plain.decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return None
        parts = text.split("$")
        if len(parts) != 5:
            # ours, but not the client's five fields: never well formed, never lenient
            return PoseidonToken("", "", "", "", "")
        return PoseidonToken(*parts)


# =============================================================================================
# The API gateway: who is calling (the face's "org" scheme)
# =============================================================================================
def gateway(
    state: EnosState, keys: KeyPair, settings: Settings, now: float, request: HttpRequest
) -> Org:
    """The API gateway (spec §6): authenticate the call, then scope it to ``?orgId=``."""
    org = _credentials(state, keys, settings, now, request)
    org_id = request.query.get("orgId")
    if not org_id:
        raise ApiError(E.ORG_MISSING, "every call needs ?orgId=")
    if org_id != org.org_id:
        if org_id in state.orgs:
            raise ApiError(E.DENIED, f"the keys belong to {org.org_id}", org_id=org_id)
        raise ApiError(E.ORG_NOT_EXIST, f"no org {org_id[:40]!r}")
    return org


def _credentials(
    state: EnosState, keys: KeyPair, settings: Settings, now: float, request: HttpRequest
) -> Org:
    headers = request.headers
    token = headers.get("apim-accesstoken")
    if not token:
        raise ApiError(E.UNAUTHORIZED, "no apim-accesstoken header")
    mode = settings.enos_auth_mode
    if "apim-signature" in headers or "apim-timestamp" in headers or token in state.tokens:
        if mode == "poseidon":
            raise ApiError(E.UNAUTHORIZED, "enos_auth_mode='poseidon' refuses signed calls")
        return _check_signature(state, settings, now, request, token)
    if mode == "signature":
        raise ApiError(E.UNAUTHORIZED, "enos_auth_mode='signature' needs apim-signature")
    return _check_poseidon(state, keys, settings, token)


def _check_signature(
    state: EnosState, settings: Settings, now: float, request: HttpRequest, token: str
) -> Org:
    entry = state.tokens.get(token)
    if entry is None:
        raise ApiError(E.UNAUTHORIZED, "unknown access token")
    if entry.expires <= now:
        raise ApiError(E.UNAUTHORIZED, "the access token expired")
    org = state.by_access_key.get(entry.app_key)
    if org is None:
        raise ApiError(E.UNAUTHORIZED, "the token's app no longer exists")
    headers = request.headers
    timestamp = headers.get("apim-timestamp", "")
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 16):
        raise ApiError(E.UNAUTHORIZED, "apim-timestamp must be epoch milliseconds")
    window = settings.enos_timestamp_window
    if abs(int(timestamp) / 1000 - now) > window:
        raise ApiError(E.UNAUTHORIZED, f"apim-timestamp is more than {window}s off")
    expected = sign(token, request.query, request.body, timestamp, org.secret_key)
    given = headers.get("apim-signature", "").lower().encode("utf-8", "replace")
    if not hmac.compare_digest(expected.encode(), given):
        raise ApiError(E.UNAUTHORIZED, "apim-signature does not match")
    return org


def ciphertext_shaped(header: str) -> bool:
    """Whether ``header`` is base64 of 256 bytes: an RSA-2048 ciphertext, as the client sends
    (what the lenient mode accepts without the key, spec §6.1)."""
    try:
        return len(base64.b64decode(header.strip(), validate=True)) == 256
    except (binascii.Error, ValueError):
        return False


def _check_poseidon(state: EnosState, keys: KeyPair, settings: Settings, header: str) -> Org:
    token = keys.decrypt(header)
    if token is None:
        if settings.enos_poseidon_lenient and len(state.orgs) == 1 and ciphertext_shaped(header):
            return next(iter(state.orgs.values()))
        raise ApiError(E.UNAUTHORIZED, "apim-accesstoken is not encrypted with this platform's key")
    if not token.well_formed():
        raise ApiError(E.UNAUTHORIZED, "apim-accesstoken's pin or token is malformed")
    org = state.by_access_key.get(token.app_key)
    if org is None or not hmac.compare_digest(
        org.secret_key.encode(), token.app_secret.encode("utf-8", "replace")
    ):
        raise ApiError(E.UNAUTHORIZED, "unknown access key or wrong secret key")
    signal = org.poseidon_signal
    if signal is not None:
        if signal == 4011:
            if token.refresh != org.poseidon_refresh:
                raise ApiError(
                    E.POSEIDON_ACCESS_EXPIRED, "token expired", refresh=org.poseidon_refresh
                )
        else:
            org.poseidon_signal = None
            raise ApiError(E.POSEIDON_REFRESH_EXPIRED, "refresh token expired")
        org.poseidon_signal, org.poseidon_refresh = None, ""
    return org
