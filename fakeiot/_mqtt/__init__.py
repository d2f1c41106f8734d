"""The MQTT front (an embedded amqtt broker); needs the ``mqtt`` extra."""

from __future__ import annotations

try:
    import amqtt as _amqtt  # noqa: F401
except ModuleNotFoundError as _exc:  # pragma: no cover - depends on the environment
    from .._extras import missing as _missing

    raise _missing(_exc, "fakeiot.MqttBroker (the MQTT front)", "mqtt") from None

from ._broker import Connection, MqttBroker

__all__ = ["Connection", "MqttBroker"]
