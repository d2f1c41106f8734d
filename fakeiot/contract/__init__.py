"""Contract state machines: check a client against random but legal platform histories.

Subclass :class:`OceanConnectContract` (or :class:`EnosContract`, :class:`IotdaContract`),
return your client from :meth:`~OceanConnectContract.make_client`, and expose ``TestCase``::

    class MyClientContract(OceanConnectContract):
        def make_client(self, base_url, app):
            return MyClient(base_url, app.app_id, app.secret)

    TestMyClient = MyClientContract.TestCase

Hypothesis then interleaves your client's calls (OceanConnect: register, activation status,
refresh key, delete; EnOS: create, get, replace, disable, enable; IoTDA: add, show, freeze,
unfreeze, reset secret, delete) with the platform's own moves (devices connecting and
disconnecting or logging in and out, time jumping past verify-code, registration and token
expiry, tokens superseded, throttling and internal errors on the next call), and after
every step compares three views: a small reference model, the platform's truth (its objects,
and what fakeiot's own client reads over HTTP), and what your client reports. ``fakeiot.mock``
routes every ``requests`` call to the machine's platform while it runs, so a client built on
``requests`` needs no changes.

Against a real tenant: set :attr:`Contract.target` to a :class:`Target` (the pytest plugin does
so for ``--fakeiot-target=URL`` and its credential options). The machines then call the
target's URL instead of an in-process platform; the platform's moves run only where the target
offers fakeiot's control API (a ``fakeiot serve`` process), and every disagreement with the
model is recorded as a :class:`Deviation` in ``target.deviations`` instead of failing the test,
so one run reports all of them (``target.report()``).

Failures: :class:`ContractViolation` (an ``AssertionError``) in-process; the default clients
raise :class:`ClientError` for an error answer.
"""

from __future__ import annotations

from .._extras import missing

try:
    import hypothesis  # noqa: F401
except ModuleNotFoundError as exc:
    raise missing(exc, "fakeiot.contract") from None

from ._clients import (
    EnosClient,
    EnosCredentials,
    EnosDevice,
    HttpEnosClient,
    HttpIotdaClient,
    HttpOceanConnectClient,
    IotdaClient,
    IotdaCredentials,
    IotdaDeviceInfo,
    OceanConnectClient,
    apim_signature,
)
from ._common import ClientError, ContractViolation
from ._machine import Contract
from ._machines import EnosContract, IotdaContract, OceanConnectContract
from ._target import Deviation, Target

__all__ = [
    "ClientError",
    "Contract",
    "ContractViolation",
    "Deviation",
    "EnosClient",
    "EnosContract",
    "EnosCredentials",
    "EnosDevice",
    "HttpEnosClient",
    "HttpIotdaClient",
    "HttpOceanConnectClient",
    "IotdaClient",
    "IotdaContract",
    "IotdaCredentials",
    "IotdaDeviceInfo",
    "OceanConnectClient",
    "OceanConnectContract",
    "Target",
    "apim_signature",
]
