"""OceanConnect authentication: the API gateway's checks (the ``"app"`` scheme every other
route declares) and the login, refresh-token and logout routes (spec §3)."""

from __future__ import annotations

from .._errors import ApiError
from .._http import HttpRequest
from .._routes import route
from ._errors import OcError
from ._model import (
    App,
    Token,
)
from ._schemas import (
    Login,
    Logout,
    RefreshToken,
    TokenAnswer,
)
from ._service import OcService

E = OcError
SEC = "/iocm/app/sec/{version}"
SEC_VERSIONS = ("v1.1.0",)


class AuthRoutes(OcService):
    """The ``"app"`` authentication scheme and the ``/iocm/app/sec`` routes."""

    def authenticate(self, scheme: str, request: HttpRequest) -> App | None:
        """``"app"``: the gateway's checks, then the application acted for (``?appId=``).
        ``"gateway"``: the gateway's checks alone (logout; none with
        ``oceanconnect_logout_needs_auth=False``)."""
        if scheme == "gateway":
            if not self.platform.settings.oceanconnect_logout_needs_auth:
                return None
            return self._authenticate(request)
        return self._acting_for(self._authenticate(request), request)

    def _authenticate(self, request: HttpRequest) -> App:
        """The API gateway's checks: app_key, the bearer token, then flow control."""
        headers = request.headers
        app_key = headers.get("app_key") or headers.get("x-app-key")
        if not app_key:
            raise ApiError(E.APP_KEY_MISSING, "no app_key (or x-app-key) header")
        authorization = headers.get("authorization")
        if authorization is not None:
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() != "bearer":
                token = ""
        else:
            token = headers.get("access_token", "")
        state = self.state
        entry = state.tokens.get(token.strip())
        now = self.platform.clock.now()
        if entry is None or entry.app_id != app_key or entry.expires <= now:
            why = (
                "unknown"
                if entry is None
                else "issued to another app"
                if entry.app_id != app_key
                else "expired"
            )
            raise ApiError(E.TOKEN_INVALID, f"the access token is {why}")
        app = state.apps.get(app_key)
        if app is None:
            raise ApiError(E.APP_NOT_EXIST_INTERNAL, f"application {app_key} was deleted")
        settings = self.platform.settings
        limit = settings.flow_control_limit
        if limit is not None:
            window = app.calls
            horizon = now - settings.flow_control_window
            while window and window[0] <= horizon:
                window.popleft()
            if len(window) >= limit:
                raise ApiError(E.THROTTLED, f"{limit} calls in {settings.flow_control_window}s")
            window.append(now)
        return app

    def _acting_for(self, caller: App, request: HttpRequest) -> App:
        """The application whose devices the call acts on: the caller or ``?appId=``'s."""
        if not request.query_string:
            return caller
        return self._act_as(caller, request.query.get("appId"))

    # =========================================================================================
    # Authentication routes
    # =========================================================================================
    @route(
        "POST",
        f"{SEC}/login",
        versions=SEC_VERSIONS,
        request_media_type="application/x-www-form-urlencoded",
    )
    def _login(self, req: Login) -> TokenAnswer:
        """Log in with appId and secret (form body); returns an access and a refresh token."""
        return self._issue(req.app_id, req.secret, None)

    @route("POST", f"{SEC}/refreshToken", versions=SEC_VERSIONS)
    def _refresh_token(self, req: RefreshToken) -> TokenAnswer:
        """Exchange a refresh token (with appId and secret) for new tokens."""
        return self._issue(req.app_id, req.secret, req.refresh_token)

    def _issue(self, app_id: str, secret: str, refresh: str | None) -> TokenAnswer:
        state = self.state
        app = state.apps.get(app_id)
        if app is None or app.secret != secret:
            raise ApiError(E.APP_OR_SECRET_WRONG, "unknown appId or wrong secret")
        now = self.platform.clock.now()
        if refresh is not None:
            entry = state.refresh_tokens.get(refresh)
            if entry is None or entry.app_id != app_id or entry.expires <= now:
                raise ApiError(E.APP_OR_SECRET_WRONG, "unknown or expired refresh token")
        if app.frozen:
            raise ApiError(E.APP_FROZEN, f"application {app_id} is frozen")
        if refresh is not None:
            del state.refresh_tokens[refresh]
            if app.refresh_token == refresh:
                app.refresh_token = None
        settings = self.platform.settings
        if settings.single_token_per_app and app.token is not None:
            state.tokens.pop(app.token, None)
        access = self.platform.ids.hex(32)
        new_refresh = self.platform.ids.hex(32)
        state.tokens[access] = Token(app_id, now + settings.token_ttl)
        state.refresh_tokens[new_refresh] = Token(app_id, now + settings.refresh_token_ttl)
        app.token, app.refresh_token = access, new_refresh
        return {
            "scope": "default",
            "tokenType": "bearer",
            "expiresIn": settings.token_ttl,
            "accessToken": access,
            "refreshToken": new_refresh,
        }

    @route("POST", f"{SEC}/logout", versions=SEC_VERSIONS, auth="gateway", media_type=None)
    def _logout(self, caller: App | None, req: Logout) -> None:
        """Invalidate an access token (``{"accessToken": ...}``)."""
        token = req.access_token
        entry = self.state.tokens.pop(token, None)
        if entry is not None:
            app = self.state.apps.get(entry.app_id)
            if app is not None and app.token == token:
                app.token = None
