"""``fakeiot serve``: the platform as a local HTTP(S) server for offline developer runs."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType
from typing import Any

from ._clock import ManualClock
from ._errors import UsageError
from ._http import HttpRequest, HttpResponse
from ._platform import Platform
from ._settings import Settings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fakeiot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve a fake platform over HTTP(S)")
    serve.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    serve.add_argument(
        "--port",
        type=int,
        default=8743,
        help="port (default 8743, OceanConnect's; 0 picks a free one)",
    )
    serve.add_argument("--seed", type=int, default=None, help="seed for ids and secrets")
    serve.add_argument("--tls", action="store_true", help="serve HTTPS with a generated cert")
    serve.add_argument("--app-id", default=None, help="OceanConnect appId to create")
    serve.add_argument("--secret", default=None, help="that application's secret")
    serve.add_argument(
        "--manual-clock",
        action="store_true",
        help="time stands still unless advanced (default: the real clock)",
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


def serve(args: argparse.Namespace) -> int:
    from ._transports._server import Server

    platform = Platform(
        args.seed,
        clock=ManualClock() if args.manual_clock else None,
        **parse_settings(args.setting),
    )
    app = platform.oceanconnect.create_app(app_id=args.app_id, secret=args.secret)
    server = Server(
        platform,
        host=args.host,
        port=args.port,
        tls=args.tls,
        log=None if args.quiet else _log_line,
    )
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    # before announcing, so a signal sent as soon as the banner is read stops us cleanly
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    server.start()
    print(f"fakeiot serving on {server.url}", flush=True)
    print(f"OceanConnect appId={app.app_id} secret={app.secret}", flush=True)
    if server.ca_file is not None:
        print(f"TLS CA certificate: {server.ca_file}", flush=True)
    while not stop.wait(0.2):
        pass
    server.stop()
    print("fakeiot stopped", flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return serve(args)
    except UsageError as exc:
        parser.error(str(exc))
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
