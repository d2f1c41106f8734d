"""``fakeiot serve``: run the platform as a local HTTP(S) server until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import re
import secrets
import select
import shutil
import signal
import socket
import sys
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from .._cli import parse_settings
from .._clock import ManualClock
from .._errors import UsageError
from .._http import HttpRequest, HttpResponse
from .._platform import Platform
from .._records import redact_target
from . import _state

if TYPE_CHECKING:
    from ._server import Server


def _log_line(request: HttpRequest, response: HttpResponse) -> None:
    """One line per request; secrets and tokens in the query are cut, as in the call list."""
    target = _TOKEN.sub(r"\1\2…", redact_target(request.target))
    print(f"{request.method} {target} -> {response.status}", flush=True)


#: the dashboard's ``?token=`` (the control token), cut like the vendors' secrets
_TOKEN = re.compile(r"([?&]token=)([^&]{0,4})[^&]*")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _tenants(platform: Platform, args: argparse.Namespace) -> list[str]:
    """Create the tenants the options name (unless the state already has them); describe all."""
    oc = platform.oceanconnect
    apps = {a.app_id for a in oc.apps()}
    if args.app_id not in apps if args.app_id is not None else not apps:
        oc.create_app(app_id=args.app_id, secret=args.secret)
    lines = [f"OceanConnect appId={a.app_id} secret={a.secret}" for a in oc.apps()]
    if "enos" in platform.faces:
        enos = platform.enos
        orgs = {o.org_id for o in enos.orgs()}
        if args.org_id not in orgs if args.org_id is not None else not orgs:
            enos.create_org(
                org_id=args.org_id, access_key=args.access_key, secret_key=args.secret_key
            )
        lines += [
            f"EnOS orgId={o.org_id} accessKey={o.access_key} secretKey={o.secret_key}"
            for o in enos.orgs()
        ]
    if "iotda" in platform.faces:
        io = platform.iotda
        projects = {p.project_id for p in io.projects()}
        if args.project_id not in projects if args.project_id is not None else not projects:
            io.create_project(project_id=args.project_id, ak=args.ak, sk=args.sk)
        lines += [
            f"IoTDA projectId={p.project_id} ak={p.ak} sk={p.sk} instanceId={p.instance_id}"
            for p in io.projects()
        ]
    return lines


class _Signals:
    """Notices the given signals while in use; :meth:`wait` returns as soon as one arrives.

    The handler only appends to a list: it takes no lock. It runs in the main thread between
    two bytecodes, perhaps while that thread holds a lock itself, and a handler that took the
    same lock (``threading.Event.set`` in one that waits on the Event) would deadlock the
    process for good. Python's C-level handler writes to the wakeup socket, which ends the
    wait at once.
    """

    def __init__(self, *signums: signal.Signals) -> None:
        self.received: list[int] = []
        self._signums = signums
        self._reader, self._writer = socket.socketpair()
        self._writer.setblocking(False)
        self._reader.setblocking(False)
        self._previous: list[Any] = []
        self._previous_fd = -1

    def __enter__(self) -> _Signals:
        self._previous_fd = signal.set_wakeup_fd(self._writer.fileno(), warn_on_full_buffer=False)
        self._previous = [signal.signal(signum, self._note) for signum in self._signums]
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in zip(self._signums, self._previous, strict=True):
            signal.signal(signum, handler)
        signal.set_wakeup_fd(self._previous_fd)
        self._reader.close()
        self._writer.close()

    def _note(self, signum: int, frame: FrameType | None) -> None:
        self.received.append(signum)

    def wait(self, timeout: float) -> bool:
        """Whether a signal has arrived, waiting up to ``timeout`` seconds for one."""
        if not self.received and select.select([self._reader], [], [], timeout)[0]:
            with contextlib.suppress(BlockingIOError):
                self._reader.recv(64)  # the signal numbers Python wrote; the list has them
        return bool(self.received)


def serve(args: argparse.Namespace) -> int:
    from ._server import Server

    platform = Platform(
        args.seed,
        clock=ManualClock() if args.manual_clock else None,
        **parse_settings(args.setting),
    )
    token = args.control_token
    if not _is_loopback(args.host):
        if token == "":
            raise UsageError(
                f"--control-token '' would open the control API to every host that can reach "
                f"{args.host}; give a token, or leave it out for a generated one"
            )
        if token is None:
            token = secrets.token_urlsafe(24)
    token = token or None
    server = Server(
        platform,
        host=args.host,
        port=args.port,
        tls=args.tls,
        log=None if args.quiet else _log_line,
        state_file=args.state,
        public_hosts=tuple(args.public_host),
        max_request_size=args.max_request_size,
    )
    for note in server.load_state():
        print(f"fakeiot: {note}", flush=True)
    tenants = _tenants(platform, args)
    server.save_state()
    server.control.token = token
    server.control.remember_initial_state()
    # before announcing, so a signal sent as soon as the banner is read stops us cleanly
    with _Signals(signal.SIGINT, signal.SIGTERM) as stop:
        return _run(platform, server, args, tenants, token, stop)


def _run(
    platform: Platform,
    server: Server,
    args: argparse.Namespace,
    tenants: list[str],
    token: str | None,
    stop: _Signals,
) -> int:
    """Start ``server`` (and the MQTT broker if asked), announce them, serve until a signal."""
    server.start()
    broker = None
    if args.mqtt_port is not None:
        from .._mqtt import MqttBroker

        try:
            broker = MqttBroker(
                platform, host=args.host, port=args.mqtt_port, tls=server.tls_files or False
            )
            if server.store is not None:  # a QoS 1 PUBACK leaves once the report is committed
                broker.durable = server.save_state
            broker.start()
        except BaseException:
            server.stop()
            raise
    print(f"fakeiot serving on {server.url}", flush=True)
    if broker is not None:
        print(f"MQTT for devices on {broker.url}", flush=True)
    for line in tenants:
        print(line, flush=True)
    if server.ca_file is not None:
        if args.tls_ca is not None:
            shutil.copyfile(server.ca_file, args.tls_ca)
        print(f"TLS CA certificate: {args.tls_ca or server.ca_file}", flush=True)
    if token is not None:
        print(f"control API token: {token}", flush=True)
    print(f"dashboard: {server.url}/" + (f"?token={token}" if token else ""), flush=True)
    while not stop.wait(0.2):
        if broker is not None:  # what else devices changed over MQTT reaches the store here
            server.save_state()
    if broker is not None:
        broker.stop()
        server.save_state()
    failing = server.store.failing if server.store is not None else None
    server.stop()
    if failing is not None:
        print(
            f"fakeiot: the state store at {args.state} never came back ({failing}); the writes "
            "refused since were not kept",
            file=sys.stderr,
            flush=True,
        )
        return 1
    print("fakeiot stopped", flush=True)
    return 0


def export(args: argparse.Namespace) -> int:
    """``fakeiot export --state FILE [OUT]``: the store's state as JSON (the import format)."""
    import json
    import sqlite3

    from ._store import is_sqlite, read_document

    path = Path(args.state)
    if not is_sqlite(path):
        raise UsageError(f"{path} is not a fakeiot state store")
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        text = json.dumps(read_document(connection), indent=1)
    finally:
        connection.close()
    if args.output == "-":
        print(text)
    else:
        _state.write_atomic(Path(args.output), text.encode("utf-8"))
    return 0


def load(args: argparse.Namespace) -> int:
    """``fakeiot import --state FILE IN``: check a JSON export and make it the store's state."""
    from ._store import write_store

    platform = Platform()
    _state.restore(platform, args.input)
    write_store(Path(args.state), platform)
    print(f"fakeiot: {args.state} now holds the state of {args.input}", flush=True)
    return 0
