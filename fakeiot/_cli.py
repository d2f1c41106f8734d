"""``fakeiot serve``: the platform as a local HTTP(S) server for offline developer runs.

The options, the control API and the state file are described in the documentation's
"Local server" page; the parser below is also the source of its CLI reference page.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ._errors import UsageError
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
    serve.add_argument("--project-id", default=None, help="IoTDA project_id to create")
    serve.add_argument("--ak", default=None, help="that project's access key (AK)")
    serve.add_argument("--sk", default=None, help="that project's secret key (SK)")
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
    serve.add_argument(
        "--public-host",
        action="append",
        default=[],
        metavar="NAME",
        help="a name clients use for this server besides loopback and --host (the control "
        "API and dashboard refuse other Host headers); repeatable",
    )
    serve.add_argument(
        "--mqtt-port",
        type=_port,
        default=None,
        metavar="N",
        help="also serve MQTT for devices on port N (0 picks a free one; with --tls, MQTTS "
        "with the same CA); needs fakeiot[mqtt]",
    )
    serve.add_argument(
        "--max-request-size",
        type=int,
        default=4 * 1024 * 1024,
        metavar="BYTES",
        help="larger request bodies are refused with 413 (default 4 MiB)",
    )
    export = commands.add_parser("export", help="write a state store's state as JSON")
    export.add_argument("--state", metavar="FILE", required=True, help="the state store")
    export.add_argument("output", nargs="?", default="-", help="JSON file (default: stdout)")
    load = commands.add_parser(
        "import", help="replace a state store's state with a JSON export (server stopped)"
    )
    load.add_argument("--state", metavar="FILE", required=True, help="the state store")
    load.add_argument("input", help="JSON file written by `fakeiot export` or GET /state")
    return parser


def parse_settings(items: Sequence[str]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for item in items:
        name, sep, text = item.partition("=")
        if not sep:
            raise UsageError(f"--setting takes NAME=VALUE, got {item!r}")
        fields[name.strip()] = Settings.parse(name.strip(), text)
    return fields


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from .serve import _main

    command = {"serve": _main.serve, "export": _main.export, "import": _main.load}
    try:
        return command[args.command](args)
    except UsageError as exc:
        parser.exit(2, f"fakeiot: error: {exc}\n")
    except OSError as exc:  # a port in use, an address not ours, a file that vanished: one line
        where = exc.filename if exc.filename else "cannot serve"
        if args.command == "serve" and not exc.filename:
            where = f"cannot serve on {args.host}:{args.port}"
        reason = exc.strerror or str(exc)
        # cheroot wraps the socket's error: "No socket could be created -- ((...): [Errno 98] ...)"
        inner = re.search(r"\[Errno \d+\] ([^)]*)", reason)
        parser.exit(1, f"fakeiot: error: {where}: {inner.group(1) if inner else reason}\n")
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
