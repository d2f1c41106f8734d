"""``fakeiot serve``: the platform as a local HTTP(S) server for offline developer runs.

See docs/serve.md for the options, the control API and the state file.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from ._errors import UsageError
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
    serve.add_argument(
        "--tls-ca",
        metavar="FILE",
        default=None,
        help="with --tls: write the CA certificate clients should trust here",
    )
    serve.add_argument(
        "--state",
        metavar="FILE",
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
        parser.error(str(exc))
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
