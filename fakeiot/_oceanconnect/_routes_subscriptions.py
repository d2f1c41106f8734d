"""OceanConnect subscription routes: business-data subscriptions (spec §5.1-§5.5) and the
device-management subscription (spec §5.6)."""

from __future__ import annotations

from .._errors import ApiError
from .._routes import route
from ._errors import OcError
from ._model import (
    App,
    Subscription,
)
from ._schemas import (
    DeleteSubscriptions,
    QuerySubscriptions,
    Subscribe,
    SubscribeManagement,
    SubscriptionAnswer,
    SubscriptionPath,
    SubscriptionsAnswer,
    callback_url_problem,
)
from ._service import OcService

E = OcError
SUB = "/iocm/app/sub/{version}"
SUB_VERSIONS = ("v1.2.0",)


class SubscriptionRoutes(OcService):
    """``/iocm/app/sub`` and ``/iodm/app/sub``."""

    # =========================================================================================
    # Subscription routes
    # =========================================================================================
    @route("POST", f"{SUB}/subscriptions", versions=SUB_VERSIONS, auth="app", status=201)
    def _subscribe(self, app: App, req: Subscribe) -> SubscriptionAnswer:
        """Subscribe a callback URL to one notifyType; answers 201."""
        settings = self.platform.settings
        if req.app_id and not req.query_app_id and settings.oceanconnect_subscribe_body_app_id:
            app = self._act_as(app, req.app_id)
        url = self._callback_url(req.callback_url)
        notify_type = req.notify_type
        subscriptions = self.state.subscriptions
        existing = next(
            (
                s
                for s in subscriptions.values()
                if s.app_id == app.app_id and s.notify_type == notify_type and not s.management
            ),
            None,
        )
        if existing is not None:
            if self.platform.settings.oceanconnect_duplicate_subscription == "conflict":
                raise ApiError(E.RESOURCE_CONFLICT, f"{notify_type} is subscribed already")
            del subscriptions[existing.subscription_id]
        sub = Subscription(
            self.platform.ids.uuid(),
            app.app_id,
            notify_type,
            url,
            req.channel or "HTTP",
            req.owner_flag,
        )
        subscriptions[sub.subscription_id] = sub
        return sub.wire()

    def _callback_url(self, url: object) -> str:
        """``url`` if the platform accepts it as a callback URL, else 400/100222."""
        problem = callback_url_problem(
            url, https_only=self.platform.settings.oceanconnect_https_callbacks_only
        )
        if problem is not None:
            raise ApiError(E.CALLBACK_URL_ILLEGAL, problem, field="callbackUrl")
        return str(url)

    @route("GET", f"{SUB}/subscriptions/{{subscriptionId}}", versions=SUB_VERSIONS, auth="app")
    def _query_subscription(self, app: App, req: SubscriptionPath) -> SubscriptionAnswer:
        """One subscription of the application."""
        return self._subscription_of(app, req.subscription_id).wire()

    @route("GET", f"{SUB}/subscriptions", versions=SUB_VERSIONS, auth="app")
    def _query_subscriptions(self, app: App, req: QuerySubscriptions) -> SubscriptionsAnswer:
        """The application's subscriptions, optionally by notifyType, paged."""
        page_no = req.page_no or 0
        page_size = req.page_size or 10
        notify_type = req.notify_type
        matching = [
            s
            for s in self._subscriptions_of(app)
            if notify_type is None or s.notify_type == notify_type
        ]
        first = page_no * page_size
        return {
            "totalCount": len(matching),
            "pageNo": page_no,
            "pageSize": page_size,
            "subscriptions": [s.wire() for s in matching[first : first + page_size]],
        }

    @route(
        "DELETE",
        f"{SUB}/subscriptions/{{subscriptionId}}",
        versions=SUB_VERSIONS,
        auth="app",
        status=204,
        media_type=None,
    )
    def _delete_subscription(self, app: App, req: SubscriptionPath) -> None:
        """Delete one subscription; answers 204."""
        sub = self._subscription_of(app, req.subscription_id)
        del self.state.subscriptions[sub.subscription_id]

    @route(
        "DELETE",
        f"{SUB}/subscriptions",
        versions=SUB_VERSIONS,
        auth="app",
        status=204,
        media_type=None,
    )
    def _delete_subscriptions(self, app: App, req: DeleteSubscriptions) -> None:
        """Delete the application's subscriptions matching notifyType, callbackUrl, channel."""
        wanted = {
            key: value
            for key, value in (
                ("notifyType", req.notify_type),
                ("callbackUrl", req.callback_url),
                ("channel", req.channel),
            )
            if value
        }
        for sub in self._subscriptions_of(app):
            fields = {
                "notifyType": sub.notify_type,
                "callbackUrl": sub.callback_url,
                "channel": sub.channel,
            }
            if all(fields[key] == value for key, value in wanted.items()):
                del self.state.subscriptions[sub.subscription_id]

    @route(
        "POST",
        "/iodm/app/sub/{version}/subscribe",
        versions=("v1.1.0",),
        auth="app",
        media_type=None,
    )
    def _subscribe_management(self, app: App, req: SubscribeManagement) -> None:
        """Subscribe to device-management (upgrade) notifications; answers 200, no body."""
        notify_type = req.notify_type
        given = req.callbackurl if req.callbackurl is not None else req.callback_url
        url = self._callback_url(given)
        subscriptions = self.state.subscriptions
        for sub in list(subscriptions.values()):
            if sub.app_id == app.app_id and sub.management and sub.notify_type == notify_type:
                del subscriptions[sub.subscription_id]
        sub = Subscription(
            self.platform.ids.uuid(), app.app_id, notify_type, url, "HTTP", None, management=True
        )
        subscriptions[sub.subscription_id] = sub

    def _subscriptions_of(self, app: App) -> list[Subscription]:
        return [
            s
            for s in self.state.subscriptions.values()
            if s.app_id == app.app_id and not s.management
        ]

    def _subscription_of(self, app: App, subscription_id: str) -> Subscription:
        sub = self.state.subscriptions.get(subscription_id)
        if sub is None or sub.app_id != app.app_id or sub.management:
            raise ApiError(E.RESOURCE_NOT_FOUND, f"no subscription {subscription_id!r}")
        return sub
