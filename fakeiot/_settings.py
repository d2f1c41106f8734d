"""Every tunable of a platform, in one frozen dataclass. Defaults are the vendors' documented
values; where the sources disagree the default is the choice recorded in docs/fidelity.md."""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, final

from ._errors import UnknownSettingError, UsageError

HOUR = 3600


@final
@dataclass(frozen=True, slots=True)
class Settings:
    """The settings of one platform. ``Platform(**fields)`` and the pytest marker take these."""

    # -- both faces --------------------------------------------------------------------------
    #: calls per window per application; ``None`` switches flow control off.
    flow_control_limit: int | None = 100
    #: the flow-control window, in seconds.
    flow_control_window: float = 60.0
    #: access-token lifetime in seconds (OceanConnect ``expiresIn``, fixed 3600 on the platform).
    token_ttl: int = 3600
    #: refresh-token lifetime; the docs say 24 h in one place and a month in two: a month wins.
    refresh_token_ttl: int = 30 * 24 * HOUR
    #: a new login or refresh invalidates the application's previous access token.
    single_token_per_app: bool = True
    #: device quotas; ``None`` is unlimited.
    max_devices: int | None = None
    max_non_secure_devices: int | None = None
    #: registrations the licence pool allows in all; ``None`` is unlimited.
    license_pool: int | None = None
    #: how many calls and events ``platform.calls`` / ``platform.events`` keep (``None``: all).
    call_log_limit: int | None = 10_000
    event_log_limit: int | None = 10_000
    #: bytes of each request and response body a call keeps (``None``: all); ``Call.cut``
    #: counts what was dropped.
    call_body_limit: int | None = 4096
    #: how many OceanConnect pushes ``oceanconnect.pushes`` keeps (``None``: all).
    push_log_limit: int | None = 10_000
    #: check the invariants of every device a request touched, after the request.
    check_invariants: bool = True

    # -- OceanConnect ------------------------------------------------------------------------
    #: seconds a registration's verify code lives when the body gives no ``timeout``.
    register_timeout_default: int = 180
    #: short-connection (CoAP/LwM2M) devices with no traffic turn ABNORMAL, then OFFLINE.
    abnormal_after: float = 25 * HOUR
    offline_after: float = 49 * HOUR
    #: only productIds declared with ``oceanconnect.create_product`` are accepted (else 600002).
    oceanconnect_strict_products: bool = False
    #: body shape of token (1010005) and throttle (1010009) errors: the API gateway's
    #: ``{"resultcode", "resultmsg"}`` seen in real traffic, or ``{"error_code", "error_desc"}``.
    oceanconnect_gateway_error_shape: Literal["gateway", "standard"] = "gateway"
    #: answer the errors the vendor tables list with HTTP 200 (e.g. refresh key's 100217) as 200.
    oceanconnect_http200_errors: bool = False
    #: refreshing a device key also resets ``activated`` to false until the device binds again.
    oceanconnect_refresh_resets_activation: bool = False

    #: accept only https callback URLs (the docs allow http too; some deployments do not).
    oceanconnect_https_callbacks_only: bool = False
    #: a second subscription to the same notifyType: 409/100227, or replace the first.
    oceanconnect_duplicate_subscription: Literal["conflict", "overwrite"] = "conflict"
    #: push ``deviceDeleted`` when an unbound registration expires (undocumented either way).
    oceanconnect_push_deleted_on_expiry: bool = True
    #: the verify code when register or refresh key gives none: "generated" by the platform
    #: (spec §4.1 [C], seed 000), or "node_id" (NB-IoT practice: the nodeId, unless another
    #: device holds that code).
    oceanconnect_verify_code_default: Literal["generated", "node_id"] = "generated"
    #: refresh key's timeout when the body gives none (seed 000: "the default value 180
    #: prevails"); ``None`` follows ``register_timeout_default``.
    oceanconnect_refresh_timeout_default: int | None = 180
    #: subscribe honours ``appId`` in the body as it honours ``?appId=`` (spec §5.1 [C]).
    oceanconnect_subscribe_body_app_id: bool = True
    #: logout passes the API gateway's checks (``app_key``, token) like every call but login
    #: and refreshToken (spec §1.2); ``False`` accepts a logout with no credentials.
    oceanconnect_logout_needs_auth: bool = True
    #: "jackson": the fields a Java/Jackson server reads leniently (register and refresh key's
    #: ``timeout``, register and modify's ``isSecure``) accept ``10.0``, ``"100"``, ``"true"``
    #: as Jackson's defaults do; "strict": only the JSON type the docs give (docs/fidelity.md).
    oceanconnect_coercion: Literal["strict", "jackson"] = "strict"
    #: answer 415 (error_code 100007) to a JSON route called with a body whose
    #: ``Content-Type`` is not JSON; by default the body is read as JSON whatever the header.
    oceanconnect_strict_content_type: bool = False
    #: "sync": each push is sent when the call or device action that caused it returns;
    #: "queued": pushes wait for ``oceanconnect.deliver()``.
    push_delivery: Literal["sync", "queued"] = "sync"
    #: extra attempts after a failed delivery (made at once: there are no background timers).
    push_retries: int = 0
    #: seconds an HTTP push may take.
    push_timeout: float = 5.0

    # -- EnOS ---------------------------------------------------------------------------------
    #: which documentation version's error codes to answer with.
    enos_error_profile: Literal["latest", "2.1"] = "latest"
    #: which authentication schemes the gateway accepts.
    enos_auth_mode: Literal["both", "signature", "poseidon"] = "both"
    #: an undecryptable ``apim-accesstoken`` maps to the only org when exactly one exists.
    enos_poseidon_lenient: bool = False
    #: lifetime of an access token from the EnOS token service, in seconds.
    enos_token_ttl: int = 7200
    #: seconds an ``apim-timestamp`` may differ from the platform clock.
    enos_timestamp_window: int = 300
    #: only modelIds declared with ``enos.create_model`` are accepted (else 11699).
    enos_strict_models: bool = False
    #: a search ``pageSize`` above 200: ``"clamp"`` serves pages of 200 (spec §4.4 [I]),
    #: ``"strict"`` answers 99400.
    enos_page_size_above_max: Literal["clamp", "strict"] = "clamp"
    #: replaceDevice's ``newDeviceKey`` may hold at most 3 of ``- _ . :`` (the seed's English
    #: wording, which spec §4.9 calls a translation artefact).
    enos_strict_new_device_key: bool = False
    #: the API gateway's request size limit in bytes, above which it answers 413 (``None``: no
    #: limit). The spec lists the 413 row but no figure; 10 MiB is the fake's choice.
    enos_max_body: int | None = 10_485_760

    # -- IoTDA --------------------------------------------------------------------------------
    #: seconds an ``X-Sdk-Date`` may differ from the platform clock (Huawei's gateway: 15 min).
    iotda_date_skew: int = 900
    #: which signing schemes the gateway accepts (the real instance endpoints want "derived").
    iotda_auth_schemes: Literal["both", "basic", "derived"] = "both"
    #: every call must carry the project's ``Instance-Id`` header.
    iotda_require_instance_id: bool = False
    #: seconds a synchronous command or property call waits for the device (spec §7.1).
    iotda_command_timeout: float = 20.0
    #: seconds a delivered asynchronous command waits for the device's result, then TIMEOUT.
    iotda_async_command_timeout: float = 3600.0
    #: commands must name a service and command the product's capabilities declare.
    iotda_strict_products: bool = False
    #: CONNACK return code for a frozen device's correct MQTT login: 5, "not authorized" (the
    #: CONNACK table's meaning [I]; the platform's choice is undocumented). Huawei's device SDK
    #: retries every code but 4 forever; 4 makes it stop.
    iotda_mqtt_frozen_connack: int = 5

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            _check_type(field.name, _hints()[field.name], getattr(self, field.name))
        for name in (
            "flow_control_limit",
            "max_devices",
            "max_non_secure_devices",
            "license_pool",
            "call_log_limit",
            "event_log_limit",
            "enos_max_body",
            "call_body_limit",
            "push_log_limit",
        ):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise UsageError(f"Settings.{name} must be >= 0 or None, got {value!r}")
        for name in (
            "flow_control_window",
            "token_ttl",
            "enos_token_ttl",
            "refresh_token_ttl",
            "register_timeout_default",
            "abnormal_after",
            "offline_after",
        ):
            if getattr(self, name) < 0:
                raise UsageError(f"Settings.{name} must be >= 0, got {getattr(self, name)!r}")
        if self.iotda_mqtt_frozen_connack not in (1, 2, 3, 4, 5):
            raise UsageError(
                "Settings.iotda_mqtt_frozen_connack must be a CONNACK refusal code 1-5"
            )

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls))

    def replace(self, **fields: Any) -> Settings:
        """A copy with ``fields`` changed; unknown names raise :class:`UnknownSettingError`."""
        check_names(fields)
        return dataclasses.replace(self, **fields)

    @classmethod
    def parse(cls, name: str, text: str) -> Any:
        """Turn the text of ``--setting name=value`` or an ini line into the field's type."""
        check_names({name: text})
        hint = _hints()[name]
        options = _options(hint)
        lowered = text.strip().lower()
        if type(None) in options and lowered in ("none", "null", "off", ""):
            return None
        for option in options:
            if option is bool and lowered in ("1", "true", "yes", "on", "0", "false", "no", "off"):
                return lowered in ("1", "true", "yes", "on")
            if option is int:
                try:
                    return int(text)
                except ValueError:
                    continue
            if option is float:
                try:
                    return float(text)
                except ValueError:
                    continue
            if isinstance(option, str) and text.strip() == option:
                return option
        raise UsageError(f"Settings.{name} takes {_describe(hint)}; cannot read {text!r}")


def check_names(fields: Mapping[str, Any]) -> None:
    """Raise :class:`UnknownSettingError` naming the closest field for any unknown name."""
    known = Settings.field_names()
    for name in fields:
        if name not in known:
            near = difflib.get_close_matches(name, known, n=1)
            hint = f" Did you mean {near[0]!r}?" if near else ""
            raise UnknownSettingError(
                f"{name!r} is not a fakeiot setting.{hint} Settings: {', '.join(known)}"
            )


_HINTS: dict[str, Any] = {}


def _hints() -> dict[str, Any]:
    if not _HINTS:
        _HINTS.update(typing.get_type_hints(Settings))
    return _HINTS


def _options(hint: Any) -> list[Any]:
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        return [o for arg in typing.get_args(hint) for o in _options(arg)]
    if origin is Literal:
        return list(typing.get_args(hint))
    return [hint]


def _describe(hint: Any) -> str:
    names = []
    for option in _options(hint):
        if option is type(None):
            names.append("None")
        elif isinstance(option, str):
            names.append(repr(option))
        else:
            names.append(option.__name__)
    return " or ".join(names)


def _check_type(name: str, hint: Any, value: Any) -> None:
    for option in _options(hint):
        if option is type(None) and value is None:
            return
        if isinstance(option, str) and value == option:
            return
        if option is bool and isinstance(value, bool):
            return
        if option is int and isinstance(value, int) and not isinstance(value, bool):
            return
        if option is float and isinstance(value, int | float) and not isinstance(value, bool):
            return
    raise UsageError(f"Settings.{name} takes {_describe(hint)}, got {value!r}")
