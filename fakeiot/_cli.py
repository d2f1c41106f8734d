"""``fakeiot serve``: the platform as a local HTTP(S) server for offline developer runs.

The options, the control API and the state file are described in the documentation's
"Local server" page; the parser below is also the source of its CLI reference page.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import secrets
import shutil
import signal
import sys
import threading
import typing
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from . import _persist
from ._clock import ManualClock
from ._errors import UsageError
from ._http import HttpRequest, HttpResponse
from ._platform import Platform
from ._settings import Settings

DESCRIPTION = "fakeiot: a fake of IoT device-management platforms (OceanConnect, EnOS), for tests."
EPILOG = "Documentation: https://fakeiot.readthedocs.io/en/latest/"
SERVE_DESCRIPTION = (
    "Serve a fake platform over HTTP(S) on this machine: the vendor APIs, a dashboard at /, "
    "a control API under /_fakeiot/api/ and its OpenAPI document at /_fakeiot/openapi.json. "
    "Prints the URL and the tenants' credentials; runs until Ctrl-C or SIGTERM."
)


def _port(text: str) -> int:
    """A TCP port number, 0 to 65535 (0: any free port)."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0 to 65535, got {port}")
    return port


def _writable_file(text: str) -> str:
    """A file fakeiot may create or replace: not a directory, in a directory that exists and
    that it may write in (checked here so a bad path is one line, not a traceback)."""
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a directory, not a file")
    parent = path.parent
    if not parent.is_dir():
        raise argparse.ArgumentTypeError(f"{text}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f"{text}: cannot write in directory {parent}")
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        raise argparse.ArgumentTypeError(f"{text}: cannot read and write this file")
    return text


def _version() -> str:
    from . import __version__

    return f"fakeiot {__version__}"


class _Parser(argparse.ArgumentParser):
    """Reports a bad option in one line (argparse's default repeats the whole usage first)."""

    def error(self, message: str) -> typing.NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="fakeiot", description=DESCRIPTION, epilog=EPILOG)
    parser.add_argument("--version", action="version", version=_version())
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser(
        "serve",
        help="serve a fake platform over HTTP(S)",
        description=SERVE_DESCRIPTION,
        epilog=EPILOG,
    )
    serve.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    serve.add_argument(
        "--port",
        type=_port,
        default=8743,
        help="port (default 8743, OceanConnect's; 0 picks a free one)",
    )
    serve.add_argument("--seed", type=int, default=None, help="seed for ids and secrets")
    serve.add_argument("--tls", action="store_true", help="serve HTTPS with a generated cert")
    serve.add_argument(
        "--tls-ca",
        metavar="FILE",
        type=_writable_file,
        default=None,
        help="with --tls: write the CA certificate clients should trust here",
    )
    serve.add_argument(
        "--state",
        metavar="FILE",
        type=_writable_file,
        default=None,
        help="keep the state in FILE: restored on start, written on every change",
    )
    serve.add_argument("--app-id", default=None, help="OceanConnect appId to create")
    serve.add_argument("--secret", default=None, help="that application's secret")
    serve.add_argument("--org-id", default=None, help="EnOS orgId to create")
    serve.add_argument("--access-key", default=None, help="that organisation's access key")
    serve.add_argument("--secret-key", default=None, help="that organisation's secret key")
    serve.add_argument(
        "--manual-clock",
        action="store_true",
        help="time stands still unless advanced (default: the real clock)",
    )
    serve.add_argument(
        "--control-token",
        default=None,
        help="token the control API requires (default: none on loopback, "
        "a generated one on any other interface)",
    )
    serve.add_argument(
        "--setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help=f"any fakeiot.Settings field; one of: {', '.join(Settings.field_names())}",
    )
    serve.add_argument("--quiet", action="store_true", help="do not log requests")
    return parser


def parse_settings(items: Sequence[str]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for item in items:
        name, sep, text = item.partition("=")
        if not sep:
            raise UsageError(f"--setting takes NAME=VALUE, got {item!r}")
        fields[name.strip()] = Settings.parse(name.strip(), text)
    return fields


def _log_line(request: HttpRequest, response: HttpResponse) -> None:
    print(f"{request.method} {request.target} -> {response.status}", flush=True)


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
    return lines


def serve(args: argparse.Namespace) -> int:
    from ._transports._server import Server

    platform = Platform(
        args.seed,
        clock=ManualClock() if args.manual_clock else None,
        **parse_settings(args.setting),
    )
    if args.state is not None and Path(args.state).exists():
        _persist.restore(platform, args.state)
    tenants = _tenants(platform, args)
    control = platform.face("control")
    token = args.control_token
    if token is None and not _is_loopback(args.host):
        token = secrets.token_urlsafe(24)
    control.token = token  # type: ignore[attr-defined]
    control.remember_initial_state()  # type: ignore[attr-defined]
    server = Server(
        platform,
        host=args.host,
        port=args.port,
        tls=args.tls,
        log=None if args.quiet else _log_line,
        state_file=args.state,
    )
    server.save_state()
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    # before announcing, so a signal sent as soon as the banner is read stops us cleanly
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    server.start()
    print(f"fakeiot serving on {server.url}", flush=True)
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
        pass
    server.stop()
    server.save_state()
    print("fakeiot stopped", flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return serve(args)
    except UsageError as exc:
        parser.exit(2, f"fakeiot: error: {exc}\n")
    except OSError as exc:  # a port in use, an address not ours, a file that vanished: one line
        where = exc.filename if exc.filename else f"cannot serve on {args.host}:{args.port}"
        parser.exit(1, f"fakeiot: error: {where}: {exc.strerror or exc}\n")
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
