"""Budgets of `fakeiot serve` (issue 10), side by side in one run.

    python bench/serve.py [--quick]

1. With a state store, one registration (through ``Server.respond``: the platform, then the
   commit of what it touched) at 10**5 devices against one at 10**2 (budget <= 1.2x); for
   information, a login after 10**4 logins against one after 10, and an IoTDA device added
   at 10**4 devices against one at 10**2 (each a ratio, like the budget).
2. 32 concurrent clients, each looping login / register / query / delete against a
   `fakeiot serve` process with ``--state`` and without (budget: with >= 0.5x the throughput
   without); p50 / p95 / p99 latency of each call.
3. 1,000 idle connections held open against `fakeiot serve`: the time a new client's request
   takes (budget <= 100 ms).
The HTTP front against pytest-httpserver is section 6 of bench/bench.py.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

import fakeiot

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.oc import LOGIN, REGISTER, OcClient  # noqa: E402


def stored_server(devices: int, directory: Path) -> tuple[fakeiot.Server, dict[str, str]]:
    """A server with a state store holding ``devices`` devices, and an app's headers."""
    platform = fakeiot.Platform(seed=1, flow_control_limit=None, call_log_limit=1000)
    server = fakeiot.Server(platform, state_file=directory / f"state-{devices}.db")
    server.load_state()
    direct = OcClient(platform)
    for i in range(devices):
        direct.call("POST", REGISTER, {"nodeId": f"pre-{i}"})
    server.save_state()  # one transaction with every device
    return server, direct.headers


def one_registration(server: fakeiot.Server, headers: dict[str, str], node_id: str) -> float:
    body = json.dumps({"nodeId": node_id}).encode()
    request = fakeiot.HttpRequest("POST", REGISTER, headers=headers, body=body)
    started = time.perf_counter()
    response = server.respond(request)
    elapsed = time.perf_counter() - started
    assert response.status == 200, response.body
    return elapsed


def start_serve(*args: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fakeiot",
            "serve",
            "--port",
            "0",
            "--quiet",
            "--app-id",
            "app",
            "--secret",
            "s3cret",
            "--setting",
            "flow_control_limit=none",
            *args,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("fakeiot serving on"):
            url = line.split()[-1]
        if line.startswith("dashboard:"):
            return process, url
    raise RuntimeError("fakeiot serve did not start")


def stop(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=20)


def load(url: str, clients: int, seconds: float) -> dict[str, Any]:
    """``clients`` threads looping login / register / query / delete for ``seconds``."""
    latencies: dict[str, list[float]] = {"login": [], "register": [], "query": [], "delete": []}
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    done = [0]

    apps = []
    for n in range(clients):  # one application per client, as real clients are
        created = requests.post(
            f"{url}/_fakeiot/api/oceanconnect/apps",
            json={"appId": f"app{n}", "secret": f"s3cret{n}"},
            timeout=30,
        )
        assert created.status_code == 201, created.text
        apps.append((f"app{n}", f"s3cret{n}"))

    def client(n: int) -> None:
        session = requests.Session()
        app_id, secret = apps[n]
        i = 0
        while time.monotonic() < deadline:
            timings = {}
            started = time.perf_counter()
            login = session.post(
                f"{url}/iocm/app/sec/v1.1.0/login",
                data={"appId": app_id, "secret": secret},
                timeout=30,
            )
            timings["login"] = time.perf_counter() - started
            headers = {"app_key": app_id, "Authorization": "Bearer " + login.json()["accessToken"]}
            started = time.perf_counter()
            device = session.post(
                url + REGISTER, json={"nodeId": f"c{n}-{i}"}, headers=headers, timeout=30
            ).json()["deviceId"]
            timings["register"] = time.perf_counter() - started
            started = time.perf_counter()
            session.get(f"{url}{REGISTER}/{device}", headers=headers, timeout=30)
            timings["query"] = time.perf_counter() - started
            started = time.perf_counter()
            session.delete(
                f"{url}/iocm/app/dm/v1.4.0/devices/{device}", headers=headers, timeout=30
            )
            timings["delete"] = time.perf_counter() - started
            i += 1
            with lock:
                done[0] += 4
                for key, value in timings.items():
                    latencies[key].append(value)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    out: dict[str, Any] = {"calls_per_s": done[0] / elapsed}
    for key, values in latencies.items():
        values.sort()
        out[key] = {p: values[int(len(values) * p / 100) - 1] * 1000 for p in (50, 95, 99)}
    return out


def idle_connections(count: int) -> float:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, count + 256)), hard))
    process, url = start_serve()
    host, port = url.rsplit("/", 1)[-1].rsplit(":", 1)
    held = [socket.create_connection((host, int(port))) for _ in range(count)]
    time.sleep(0.5)
    samples = []
    for _ in range(5):
        started = time.perf_counter()
        answer = requests.get(url + "/_fakeiot/api/clock", timeout=10)
        samples.append(time.perf_counter() - started)
        assert answer.status_code == 200
    for sock in held:
        sock.close()
    stop(process)
    return max(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="shorter load runs")
    args = parser.parse_args()
    print(f"fakeiot serve budgets; load average {os.getloadavg()[0]:.1f}")
    only = os.environ.get("BENCH_ONLY", "123")  # which sections, e.g. BENCH_ONLY=2
    if "1" in only:
        registration()
        growth("a login with a store", "logins", (10, 10_000), _oc_logins)
        growth("an IoTDA device added with a store", "devices", (100, 10_000), _iotda_adds)
    if "2" in only:
        concurrent(5.0 if args.quick else 15.0)
    if "3" in only:
        worst = idle_connections(1000)
        print(
            f"3. 1,000 idle connections: a new client answered in {worst * 1000:.1f} ms (worst "
            f"of 5; budget <= 100 ms) {'PASS' if worst <= 0.1 else 'MISS'}"
        )
    return 0


def registration() -> None:
    """Interleaved rounds at both sizes (the order alternating), medians of 300 each."""
    with tempfile.TemporaryDirectory() as scratch:
        servers = [stored_server(n, Path(scratch)) for n in (100, 100_000)]
        samples: list[list[float]] = [[], []]
        for round_ in range(30):
            order = (0, 1) if round_ % 2 == 0 else (1, 0)
            for which in order:
                server, headers = servers[which]
                for i in range(10):
                    node = f"new-{round_}-{i}"
                    samples[which].append(one_registration(server, headers, node))
        for server, _ in servers:
            server.stop()
    small, big = (statistics.median(s) for s in samples)
    ratio = big / small
    print(
        f"1. registration with a store: 10^2 devices {small * 1e6:.0f} us, 10^5 devices "
        f"{big * 1e6:.0f} us, ratio {ratio:.2f}x (budget <= 1.2x) "
        f"{'PASS' if ratio <= 1.2 else 'MISS'}"
    )


def growth(
    what: str,
    unit: str,
    sizes: tuple[int, int],
    setup: Callable[[int, Path], Callable[[int], fakeiot.HttpResponse]],
) -> None:
    """``what`` (through ``Server.respond``) at both sizes, interleaved; medians of 200."""
    with tempfile.TemporaryDirectory() as scratch:
        calls = [setup(n, Path(scratch)) for n in sizes]
        samples: list[list[float]] = [[], []]
        for round_ in range(20):
            for which in (0, 1) if round_ % 2 == 0 else (1, 0):
                for i in range(10):
                    started = time.perf_counter()
                    response = calls[which](round_ * 10 + i)
                    samples[which].append(time.perf_counter() - started)
                    assert response.status < 300, response.body
    small, big = (statistics.median(s) for s in samples)
    print(
        f"   {what}: after {sizes[0]:,} {unit} {small * 1e6:.0f} us, after {sizes[1]:,} "
        f"{big * 1e6:.0f} us, ratio {big / small:.2f}x (info)"
    )


def _oc_logins(count: int, directory: Path) -> Callable[[int], fakeiot.HttpResponse]:
    platform = fakeiot.Platform(seed=1, flow_control_limit=None, call_log_limit=1000)
    server = fakeiot.Server(platform, state_file=directory / f"logins-{count}.db")
    server.load_state()
    client = OcClient(platform)
    for _ in range(count):
        client.login()
    server.save_state()
    body = f"appId={client.app.app_id}&secret={client.app.secret}".encode()
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    login = fakeiot.HttpRequest("POST", LOGIN, headers=form, body=body)
    return lambda _i: server.respond(login)


def _iotda_adds(count: int, directory: Path) -> Callable[[int], fakeiot.HttpResponse]:
    from tests.iotda import IoClient

    platform = fakeiot.Platform(seed=1, call_log_limit=1000)
    server = fakeiot.Server(platform, state_file=directory / f"iotda-{count}.db")
    server.load_state()
    client = IoClient(platform)
    product = client.product()
    for i in range(count):
        client.device(product, f"pre-{i}")
    server.save_state()

    def add(i: int) -> fakeiot.HttpResponse:
        body = {"node_id": f"new-{i}", "product_id": product, "auth_info": {"secret": "s3cret-1"}}
        return server.respond(client.request("POST", "/devices", body))

    return add


def concurrent(seconds: float) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        plain_process, plain_url = start_serve()
        plain = load(plain_url, 32, seconds)
        stop(plain_process)
        stored_process, stored_url = start_serve("--state", str(Path(scratch) / "s.db"))
        stored = load(stored_url, 32, seconds)
        stop(stored_process)
    share = stored["calls_per_s"] / plain["calls_per_s"]
    print(
        f"2. 32 clients: without --state {plain['calls_per_s']:.0f} calls/s, with --state "
        f"{stored['calls_per_s']:.0f} calls/s, ratio {share:.2f}x (budget >= 0.5x) "
        f"{'PASS' if share >= 0.5 else 'MISS'}"
    )
    for name, result in (("without", plain), ("with", stored)):
        cells = ", ".join(
            f"{k} {v[50]:.1f}/{v[95]:.1f}/{v[99]:.1f}"
            for k, v in result.items()
            if k != "calls_per_s"
        )
        print(f"   p50/p95/p99 ms {name} --state: {cells}")


if __name__ == "__main__":
    sys.exit(main())
