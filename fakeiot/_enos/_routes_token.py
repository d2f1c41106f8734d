"""The APIM token service (spec §6.3): get and refresh an access token for the signature scheme.

Its answers have their own body shape (``{"status", "msg", "business", "data"}``), rendered by
the face for every route under :data:`TOKEN`.
"""

from __future__ import annotations

import hmac

from .._errors import ApiError
from .._routes import route
from ._auth import token_encryption
from ._errors import EnosError
from ._model import Org
from ._schemas import GetToken, RefreshToken, TokenAnswer
from ._service import EnosService

E = EnosError
TOKEN = "/apim-token-service/v2.0/token"


class TokenRoutes(EnosService):
    """``POST /apim-token-service/v2.0/token/get`` and ``.../refresh``."""

    @route("POST", f"{TOKEN}/get", auth="token")
    def _token_get(self, _gateway: None, req: GetToken) -> TokenAnswer:
        """Get an access token with appKey, timestamp and encryption (same token until expiry)."""
        org = self._token_request(req, None)
        state = self.state
        now = self.platform.clock.now()
        current = state.token_by_app.get(org.access_key)
        entry = state.tokens.get(current) if current is not None else None
        if current is not None and entry is not None and entry.expires > now:
            return {"accessToken": current, "expire": int(entry.expires - now)}
        return {
            "accessToken": self._issue(org, now),
            "expire": self.platform.settings.enos_token_ttl,
        }

    @route("POST", f"{TOKEN}/refresh", auth="token")
    def _token_refresh(self, _gateway: None, req: RefreshToken) -> TokenAnswer:
        """Exchange a live access token (with the get-body fields) for a new one."""
        org = self._token_request(req, req.access_token)
        return {
            "accessToken": self._issue(org, self.platform.clock.now(), req.access_token),
            "expire": self.platform.settings.enos_token_ttl,
        }

    def _token_request(self, req: GetToken, refresh: str | None) -> Org:
        """The org of a token call whose appKey, timestamp and encryption check out."""
        app_key, timestamp = req.app_key, str(req.timestamp)
        state = self.state
        org = state.by_access_key.get(app_key)
        if org is None:
            raise ApiError(E.TOKEN_APP_KEY_UNKNOWN, f"no appKey {app_key[:40]!r}")
        now = self.platform.clock.now()
        window = self.platform.settings.enos_timestamp_window
        if len(timestamp) > 16 or abs(int(timestamp) / 1000 - now) > window:
            raise ApiError(E.TOKEN_INVALID_PARAMETER, f"timestamp is more than {window}s off")
        expected = token_encryption(app_key, timestamp, org.secret_key)
        if not hmac.compare_digest(
            expected.encode(), req.encryption.lower().encode("utf-8", "replace")
        ):
            raise ApiError(E.TOKEN_ENCRYPTION_INVALID, "encryption does not match")
        order = state.encryptions
        horizon = now - 2 * window
        queue = state.encryption_order
        while queue and queue[0][0] < horizon:
            _when, old = queue.popleft()
            order.pop(old, None)
        if expected in order:
            raise ApiError(E.TOKEN_REPLAYED, "this encryption was used already")
        if refresh is not None:
            entry = state.tokens.get(refresh)
            if entry is None or entry.app_key != app_key:
                raise ApiError(E.TOKEN_REFRESH_FAILED, "unknown access token")
            if entry.expires <= now:
                raise ApiError(E.TOKEN_EXPIRED, "the access token expired; get a new one")
        order[expected] = now
        queue.append((now, expected))
        return org
