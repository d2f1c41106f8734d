"""Benchmark fakeiot against the budgets of DESIGN.md §5, side by side with its baselines.

Run ``python bench/bench.py`` (full run: 10⁶ devices, a few minutes), ``--quick`` (10⁵ devices),
``--json`` (machine-readable results instead of the table) and ``--profile`` (cProfile of
``Platform.handle`` and of the ``fakeiot.Adapter`` path, top costs). See bench/README.md.

Every comparison uses the same request, the same client and the same process; contenders run in
interleaved rounds (order rotated each round) so that drift hits all of them alike, and each
figure is the median per-call time over the rounds.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import gc
import io
import json
import os
import pstats
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

import fakeiot

if TYPE_CHECKING:
    from fakeiot.contract import Contract

BASE = "https://iot.example:8743"
LOGIN = "/iocm/app/sec/v1.1.0/login"
REGISTER = "/iocm/app/reg/v1.1.0/deviceCredentials"
CREDENTIALS = "/iocm/app/reg/v1.1.0/deviceCredentials/{}"
DEVICE = "/iocm/app/dm/v1.4.0/devices/{}"
JSON_TYPE = "application/json;charset=UTF-8"
MiB = 1024 * 1024
GiB = 1024 * MiB

Call = Callable[[], object]
Contender = tuple[str, Callable[[], AbstractContextManager[Call]]]


# =============================================================================================
# Results
# =============================================================================================
@dataclass
class Result:
    """One line of the table. ``value`` and ``baseline`` are in ``unit``."""

    key: str
    label: str
    value: float
    unit: str
    baseline_name: str = ""
    baseline: float | None = None
    ratio: float | None = None
    budget: str = ""
    passed: bool | None = None  # None: informational, no budget
    extra: dict[str, Any] = field(default_factory=dict)


def versus(
    key: str,
    label: str,
    value: float,
    baseline_name: str,
    baseline: float,
    *,
    limit: float | None = None,
    strict: bool = False,
    unit: str = "s",
    extra: dict[str, Any] | None = None,
) -> Result:
    """A line comparing ``value`` with ``baseline`` as their ratio; with ``limit`` the ratio's
    budget (``ratio <= limit``, or ``<`` when ``strict``), else an informational line."""
    ratio = value / baseline
    budget, passed = "", None
    if limit is not None:
        budget = f"{'<' if strict else '≤'} {limit:.2f}x"
        passed = ratio < limit if strict else ratio <= limit
    return Result(
        key=key,
        label=label,
        value=value,
        unit=unit,
        baseline_name=baseline_name,
        baseline=baseline,
        ratio=ratio,
        budget=budget,
        passed=passed,
        extra=extra or {},
    )


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "s":
        if value < 1e-3:
            return f"{value * 1e6:.2f} µs"
        if value < 1:
            return f"{value * 1e3:.2f} ms"
        return f"{value:.2f} s"
    if unit == "B":
        if value >= MiB:
            return f"{value / MiB:.1f} MiB"
        return f"{value:.0f} B"
    if unit == "/s":
        return f"{value:,.0f}/s"
    return f"{value:g} {unit}"


def table(results: list[Result]) -> str:
    head = ("measurement", "fakeiot", "baseline", "ratio", "budget", "result")
    rows = [head]
    for r in results:
        base = f"{r.baseline_name} {fmt(r.baseline, r.unit)}" if r.baseline_name else "-"
        ratio = f"{r.ratio:.3f}x" if r.ratio is not None else "-"
        verdict = "info" if r.passed is None else "PASS" if r.passed else "MISS"
        rows.append((r.label, fmt(r.value, r.unit), base, ratio, r.budget or "-", verdict))
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = []
    for n, row in enumerate(rows):
        lines.append(" | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
        if n == 0:
            lines.append("-+-".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def note(message: str) -> None:
    """Progress goes to stderr, so ``--json`` output stays clean."""
    print(message, file=sys.stderr, flush=True)


# =============================================================================================
# Timing
# =============================================================================================
def time_batch(call: Call, number: int) -> float:
    """Seconds per call over ``number`` back-to-back calls."""
    gc.collect()
    start = time.perf_counter()
    for _ in range(number):
        call()
    return (time.perf_counter() - start) / number


def compare(
    contenders: list[Contender], *, number: int, rounds: int, warmup: int
) -> dict[str, list[float]]:
    """Per-call times of each contender, one sample per round; rounds interleave contenders."""
    samples: dict[str, list[float]] = {name: [] for name, _ in contenders}
    for round_no in range(rounds):
        shift = round_no % len(contenders)
        for name, factory in contenders[shift:] + contenders[:shift]:
            with factory() as call:
                for _ in range(warmup):
                    call()
                samples[name].append(time_batch(call, number))
    return samples


def median(values: list[float]) -> float:
    return statistics.median(values)


# =============================================================================================
# A logged-in application and a registered device, through Platform.handle
# =============================================================================================
@dataclass
class Setup:
    platform: fakeiot.Platform
    headers: dict[str, str]
    device_id: str

    @property
    def path(self) -> str:
        return CREDENTIALS.format(self.device_id)

    @property
    def url(self) -> str:
        return BASE + self.path


def login(platform: fakeiot.Platform) -> dict[str, str]:
    """Create an application, log it in, and return the headers of its calls."""
    app = platform.oceanconnect.create_app()
    response = platform.handle(
        fakeiot.HttpRequest(
            "POST",
            LOGIN,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            body=f"appId={app.app_id}&secret={app.secret}".encode(),
        )
    )
    assert response.status == 200, response.body
    token = response.json_body()["accessToken"]
    return {"app_key": app.app_id, "Authorization": f"Bearer {token}"}


def register(platform: fakeiot.Platform, headers: dict[str, str], node_id: str) -> str:
    body = json.dumps({"nodeId": node_id, "timeout": 0}).encode()
    post = {**headers, "Content-Type": "application/json"}
    response = platform.handle(fakeiot.HttpRequest("POST", REGISTER, headers=post, body=body))
    assert response.status == 200, response.body
    device_id: str = response.json_body()["deviceId"]
    return device_id


def make_setup() -> Setup:
    # Flow control (100 calls / 60 s per app by default) would throttle a benchmark loop.
    platform = fakeiot.Platform(seed=0, flow_control_limit=None)
    headers = login(platform)
    device_id = register(platform, headers, "861234567890123")
    return Setup(platform, headers, device_id)


# =============================================================================================
# 1. Per-call cost through requests
# =============================================================================================
class CannedAdapter(BaseAdapter):
    """A do-nothing transport adapter: a new Response with a canned body for every request.

    Its ``send`` has the same signature as ``fakeiot.Adapter.send`` and it fills the fields a
    usable Response needs, so the difference between the two is fakeiot's own work: translating
    the request and response, and ``Platform.handle``.
    """

    def __init__(self, body: bytes, headers: dict[str, str]) -> None:
        super().__init__()
        self.body = body
        self.headers = headers

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        response = requests.Response()
        response.status_code = 200
        response.headers = CaseInsensitiveDict(self.headers)
        response._content = self.body
        response.url = request.url or ""
        response.request = request
        response.reason = "OK"
        response.encoding = "utf-8"
        return response

    def close(self) -> None:
        """Nothing to release."""


def checked(session: requests.Session, setup: Setup, body: bytes) -> Call:
    """The call under test, after checking once that it answers 200 with ``body``."""
    url, headers = setup.url, setup.headers
    first = session.get(url, headers=headers)
    assert first.status_code == 200, first.content
    assert first.content == body, (first.content, body)

    def call() -> object:
        return session.get(url, headers=headers)

    return call


def bench_requests(setup: Setup, number: int, rounds: int) -> list[Result]:
    import requests_mock
    import responses

    probe = setup.platform.handle(
        fakeiot.HttpRequest.from_url("GET", setup.path, headers=setup.headers)
    )
    assert probe.status == 200, probe.body
    body = probe.body
    canned_headers = {"Content-Type": JSON_TYPE}
    assert dict(probe.headers) == canned_headers, probe.headers

    adapter_session = requests.Session()
    adapter_session.mount(BASE, fakeiot.Adapter(setup.platform))
    canned_session = requests.Session()
    canned_session.mount(BASE, CannedAdapter(body, canned_headers))
    plain_session = requests.Session()  # default HTTPAdapter: what the patching mocks catch

    @contextlib.contextmanager
    def fake_adapter() -> Iterator[Call]:
        yield checked(adapter_session, setup, body)

    @contextlib.contextmanager
    def do_nothing() -> Iterator[Call]:
        yield checked(canned_session, setup, body)

    @contextlib.contextmanager
    def fake_mock() -> Iterator[Call]:
        with fakeiot.mock(setup.platform):
            yield checked(plain_session, setup, body)

    @contextlib.contextmanager
    def with_responses() -> Iterator[Call]:
        with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
            rsps.add(responses.GET, setup.url, body=body, status=200, content_type=JSON_TYPE)
            yield checked(plain_session, setup, body)

    @contextlib.contextmanager
    def with_requests_mock() -> Iterator[Call]:
        with requests_mock.Mocker() as mocker:
            mocker.get(setup.url, content=body, status_code=200, headers=canned_headers)
            yield checked(plain_session, setup, body)

    samples = compare(
        [
            ("fakeiot.Adapter", fake_adapter),
            ("fakeiot.mock", fake_mock),
            ("do-nothing adapter", do_nothing),
            ("responses", with_responses),
            ("requests-mock", with_requests_mock),
        ],
        number=number,
        rounds=rounds,
        warmup=max(50, number // 20),
    )
    t = {name: median(values) for name, values in samples.items()}
    extra = {
        name: {"median": median(v), "min": min(v), "samples": v} for name, v in samples.items()
    }
    results = [
        Result(
            key=f"requests.{what.strip('()').lower()}.own_cost",
            label=f"1. fakeiot's own cost per requests call: {what} - do-nothing",
            value=t[fake] - t["do-nothing adapter"],
            unit="s",
        )
        for fake, what in (("fakeiot.Adapter", "Adapter"), ("fakeiot.mock", "mock()"))
    ]
    for fake, what in (("fakeiot.Adapter", "Adapter"), ("fakeiot.mock", "mock()")):
        for base, limit, strict in (
            ("do-nothing adapter", 1.10, False),
            ("responses", 1.0, True),
            ("requests-mock", 1.0, True),
        ):
            results.append(
                versus(
                    f"requests.{what.strip('()').lower()}.vs.{base.split()[0]}",
                    f"1. requests GET via {what} vs {base}",
                    t[fake],
                    base,
                    t[base],
                    limit=limit,
                    strict=strict,
                    extra={"fakeiot": extra[fake], "baseline": extra[base]},
                )
            )
    return results


# =============================================================================================
# 2. Platform.handle alone
# =============================================================================================
def bench_handle(setup: Setup, number: int, rounds: int) -> list[Result]:
    platform = setup.platform
    request = fakeiot.HttpRequest.from_url("GET", setup.path, headers=setup.headers)
    assert platform.handle(request).status == 200

    @contextlib.contextmanager
    def handle() -> Iterator[Call]:
        yield lambda: platform.handle(request)

    samples = compare([("handle", handle)], number=number, rounds=rounds, warmup=1000)["handle"]
    value = median(samples)
    return [
        Result(
            key="handle.activation_status",
            label="2. Platform.handle, activation-status query",
            value=value,
            unit="s",
            budget="≤ 25 µs",
            passed=value <= 25e-6,
            extra={"median": value, "min": min(samples), "samples": samples},
        )
    ]


# =============================================================================================
# 3. Scale: registration throughput, memory per device, query cost at size (in a subprocess)
# =============================================================================================
def rss_now() -> tuple[int, int]:
    """(current RSS, peak RSS) of this process in bytes."""
    current = peak = 0
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    current = int(line.split()[1]) * 1024
                elif line.startswith("VmHWM:"):
                    peak = int(line.split()[1]) * 1024
    except OSError:  # not Linux: peak only
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        peak *= 1 if sys.platform == "darwin" else 1024
        current = peak
    return current, peak


def scale_platform() -> tuple[fakeiot.Platform, dict[str, str]]:
    platform = fakeiot.Platform(
        seed=0, flow_control_limit=None, call_log_limit=1000, event_log_limit=1000
    )
    return platform, login(platform)


def register_many(
    platform: fakeiot.Platform,
    headers: dict[str, str],
    n: int,
    wanted: set[int],
    on_first_chunk: Callable[[], object] = lambda: None,
) -> tuple[float, dict[int, str]]:
    """Register ``n`` devices through handle; (seconds spent in handle, ids of ``wanted``)."""
    post = {**headers, "Content-Type": "application/json"}
    device_ids: dict[int, str] = {}
    elapsed = 0.0
    handle = platform.handle
    chunk = 1000  # requests are built a chunk at a time, outside the timed part
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        batch = [
            fakeiot.HttpRequest(
                "POST",
                REGISTER,
                headers=post,
                body=f'{{"nodeId":"86{i:013d}","timeout":0}}'.encode(),
            )
            for i in range(start, stop)
        ]
        began = time.perf_counter()
        answers = [handle(request) for request in batch]
        elapsed += time.perf_counter() - began
        for i, answer in zip(range(start, stop), answers, strict=True):
            if answer.status != 200:
                raise AssertionError(f"registration {i} failed: {answer.status} {answer.body!r}")
            if i in wanted:
                device_ids[i] = answer.json_body()["deviceId"]
        del batch, answers
        if start == 0:
            on_first_chunk()
    return elapsed, device_ids


def scale_child(n: int, rounds: int) -> dict[str, Any]:
    """In a subprocess: a 10^3-device and an ``n``-device platform, built and queried side by side.

    Both platforms live in this one process, so their queries run interleaved under the same
    conditions; the memory figures are RSS deltas around the big platform's registrations.
    """
    rng = random.Random(0)
    queries = 20_000
    small_n = 1000
    # Each timed query asks for a device drawn uniformly at random (20,000 draws, one pass each
    # round), so at size the devices are as cold in the CPU caches as a real workload's.
    small_picks = [rng.randrange(small_n) for _ in range(queries)]
    big_picks = [rng.randrange(n) for _ in range(queries)]

    small, small_headers = scale_platform()
    small_seconds, small_ids = register_many(small, small_headers, small_n, set(small_picks))

    gc.collect()
    rss_start, _ = rss_now()
    big, big_headers = scale_platform()
    gc.collect()
    rss_platform, _ = rss_now()
    marks: dict[str, int] = {}

    def first_chunk() -> None:
        gc.collect()
        marks["first"] = rss_now()[0]

    big_seconds, big_ids = register_many(big, big_headers, n, set(big_picks), first_chunk)
    gc.collect()
    rss_end, rss_peak = rss_now()

    def requests_for(
        template: str, ids: dict[int, str], picks: list[int], headers: dict[str, str]
    ) -> list[fakeiot.HttpRequest]:
        return [
            fakeiot.HttpRequest.from_url("GET", template.format(ids[i]), headers=headers)
            for i in picks
        ]

    def contender(
        platform: fakeiot.Platform, requests_: list[fakeiot.HttpRequest]
    ) -> Callable[[], AbstractContextManager[Call]]:
        for request in requests_[:3]:
            answer = platform.handle(request)
            assert answer.status == 200, answer.body
        handle = platform.handle

        def call() -> object:
            for request in requests_:
                handle(request)
            return None

        @contextlib.contextmanager
        def factory() -> Iterator[Call]:
            yield call

        return factory

    contenders: list[Contender] = []
    for name, template in (("activation", CREDENTIALS), ("device", DEVICE)):
        contenders.append(
            (
                f"{name}@small",
                contender(small, requests_for(template, small_ids, small_picks, small_headers)),
            )
        )
        contenders.append(
            (f"{name}@big", contender(big, requests_for(template, big_ids, big_picks, big_headers)))
        )
    samples = compare(contenders, number=1, rounds=rounds, warmup=0)
    per_query = {k: [s / queries for s in v] for k, v in samples.items()}
    return {
        "n": n,
        "small_n": small_n,
        "small_register_per_second": small_n / small_seconds,
        "register_seconds": big_seconds,
        "register_per_second": n / big_seconds,
        "rss_start": rss_start,
        "rss_platform": rss_platform,
        "rss_after_first_1000": marks["first"],
        "rss_end": rss_end,
        "rss_peak": rss_peak,
        "bytes_per_device": (rss_end - rss_platform) / n,
        "marginal_bytes_per_device": (rss_end - marks["first"]) / (n - 1000),
        "queries": {
            k: {"median": median(v), "min": min(v), "samples": v} for k, v in per_query.items()
        },
    }


def bench_scale(big_n: int, rounds: int) -> list[Result]:
    note(f"  registering 10^3 and {big_n:,} devices in a subprocess ...")
    began = time.perf_counter()
    out = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "--scale-child",
            str(big_n),
            "--rounds",
            str(rounds),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    big: dict[str, Any] = json.loads(out.stdout)
    note(f"  ... done in {time.perf_counter() - began:.1f} s")
    size = f"10^{len(str(big_n)) - 1}"
    full = big_n >= 1_000_000
    results = [
        Result(
            key="register.throughput.1000",
            label="3. registrations via handle @ 10^3",
            value=big["small_register_per_second"],
            unit="/s",
        ),
        Result(
            key=f"register.throughput.{big_n}",
            label=f"3. registrations via handle @ {size}",
            value=big["register_per_second"],
            unit="/s",
            extra={"seconds": big["register_seconds"]},
        ),
        Result(
            key=f"memory.bytes_per_device.{big_n}",
            label=f"3. RSS per device @ {size} (all / marginal past 10^3)",
            value=big["bytes_per_device"],
            unit="B",
            baseline_name="marginal",
            baseline=big["marginal_bytes_per_device"],
            extra={k: v for k, v in big.items() if k.startswith("rss") or "bytes" in k},
        ),
    ]
    if full:
        peak = float(big["rss_peak"])
        label = "3. peak RSS of the process @ 10^6 devices"
    else:  # --quick: project the 10^6 figure from the marginal cost per device
        peak = big["rss_end"] + big["marginal_bytes_per_device"] * (1_000_000 - big_n)
        label = f"3. RSS @ 10^6 devices, projected from {size}"
    results.append(
        Result(
            key="memory.rss_at_1e6",
            label=label,
            value=peak,
            unit="B",
            budget="< 1 GiB",
            passed=peak < GiB,
            extra={"projected": not full},
        )
    )
    queries = big["queries"]
    for key, what in (("activation", "activation-status"), ("device", "device")):
        at_size, at_small = queries[f"{key}@big"], queries[f"{key}@small"]
        results.append(
            versus(
                f"scale.{key}_query",
                f"3. {what} query (random device) @ {size} vs @ 10^3",
                at_size["median"],
                "10^3",
                at_small["median"],
                limit=1.2,
                extra={"big": at_size, "small": at_small},
            )
        )
    return results


# =============================================================================================
# 4. Import time
# =============================================================================================
def bench_import(runs: int) -> list[Result]:
    codes = {
        "pass": "pass",
        "import": "import fakeiot",
        "adapter": "import fakeiot; fakeiot.Adapter",
    }
    best = dict.fromkeys(codes, float("inf"))
    for _ in range(runs):
        for name, code in codes.items():
            began = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True)
            best[name] = min(best[name], time.perf_counter() - began)
    bare = best["pass"]
    imported = best["import"] - bare
    with_adapter = best["adapter"] - bare
    return [
        Result(
            key="import.fakeiot",
            label="4. import fakeiot (fresh interpreter, minus bare startup)",
            value=imported,
            unit="s",
            baseline_name="bare startup",
            baseline=bare,
            budget="< 150 ms",
            passed=imported < 0.150,
        ),
        Result(
            key="import.fakeiot_adapter",
            label="4. import fakeiot + first fakeiot.Adapter (imports requests)",
            value=with_adapter,
            unit="s",
            baseline_name="bare startup",
            baseline=bare,
        ),
    ]


# =============================================================================================
# 5. Fixture cost
# =============================================================================================
def bench_fixture(number: int, rounds: int) -> list[Result]:
    def fixture() -> object:
        platform = fakeiot.Platform()
        with fakeiot.mock(platform):
            pass
        platform.check_invariants()
        return platform

    @contextlib.contextmanager
    def fresh() -> Iterator[Call]:
        yield fixture

    samples = compare([("fixture", fresh)], number=number, rounds=rounds, warmup=20)["fixture"]
    value = median(samples)
    return [
        Result(
            key="fixture",
            label="5. Platform() + mock() enter/exit + check_invariants()",
            value=value,
            unit="s",
            budget="< 1 ms",
            passed=value < 1e-3,
            extra={"median": value, "min": min(samples), "samples": samples},
        )
    ]


# =============================================================================================
# 6. fakeiot.Server vs pytest-httpserver over loopback
# =============================================================================================
def http_contender(
    session: requests.Session,
    url: str,
    headers: dict[str, str],
    payload: object,
    reset: Callable[[], object] = lambda: None,
) -> Callable[[], AbstractContextManager[Call]]:
    """A contender that GETs ``url`` over ``session`` (checked once to answer ``payload``)."""

    @contextlib.contextmanager
    def factory() -> Iterator[Call]:
        reset()
        first = session.get(url, headers=headers)
        assert first.status_code == 200, first.content
        assert first.json() == payload, first.content
        yield lambda: session.get(url, headers=headers)
        reset()

    return factory


def bench_server(setup: Setup, number: int, rounds: int) -> list[Result]:
    import logging

    from pytest_httpserver import HTTPServer
    from werkzeug.serving import WSGIRequestHandler

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per request

    payload = setup.platform.handle(
        fakeiot.HttpRequest.from_url("GET", setup.path, headers=setup.headers)
    ).json_body()
    results: list[Result] = []
    with fakeiot.Server(setup.platform) as server, requests.Session() as fake_session:
        fake = http_contender(fake_session, server.url + setup.path, setup.headers, payload)
        # pytest-httpserver's default (threaded=False) speaks HTTP/1.0 and closes each
        # connection; threaded=True switches werkzeug to HTTP/1.1 keep-alive for good (it sets
        # a class attribute), so the default one is measured first, then the threaded one.
        for threaded in (False, True):
            variant = "pytest-httpserver" + (" threaded" if threaded else "")
            protocol_before = WSGIRequestHandler.protocol_version
            other = HTTPServer(host="127.0.0.1", port=0, threaded=threaded)
            other.expect_request(setup.path, method="GET").respond_with_json(payload)
            other.start()
            try:
                with requests.Session() as other_session:
                    baseline = http_contender(
                        other_session,
                        other.url_for(setup.path),
                        setup.headers,
                        payload,
                        other.clear_log,
                    )
                    samples = compare(
                        [("fakeiot.Server", fake), (variant, baseline)],
                        number=number,
                        rounds=rounds,
                        warmup=max(20, number // 20),
                    )
                server.check()
                other.check_assertions()
            finally:
                other.stop()
            t_fake = median(samples["fakeiot.Server"])
            t_other = median(samples[variant])
            results.append(
                versus(
                    f"server.vs.{variant.replace(' ', '_')}",
                    f"6. loopback GET, fakeiot.Server vs {variant}",
                    t_fake,
                    variant,
                    t_other,
                    limit=1.0,
                    strict=True,
                    extra={
                        "werkzeug_protocol_before": protocol_before,
                        "werkzeug_protocol_after": WSGIRequestHandler.protocol_version,
                        "fakeiot_samples": samples["fakeiot.Server"],
                        "baseline_samples": samples[variant],
                    },
                )
            )
    return results


# =============================================================================================
# 7. EnOS get-device: Platform.handle, and requests through fakeiot.Adapter
# =============================================================================================
ENOS_BASE = "https://apim.enos.example"


def enos_get_device_request() -> tuple[fakeiot.Platform, fakeiot.HttpRequest]:
    """A platform with one EnOS device, and a signed get-device request for it."""
    from fakeiot.contract import HttpEnosClient, apim_signature

    platform = fakeiot.Platform(seed=0, flow_control_limit=None)
    org = platform.enos.create_org()
    client = HttpEnosClient(ENOS_BASE, org)
    with fakeiot.mock(platform):
        product_key = client.create_product()
        asset_id = client.create(product_key).asset_id
    assert client.token is not None
    query = {"action": "get", "orgId": org.org_id, "assetId": asset_id}
    stamp = str(int(platform.clock.now() * 1000))
    headers = {
        "apim-accesstoken": client.token,
        "apim-timestamp": stamp,
        "apim-signature": apim_signature(client.token, query, b"", stamp, org.secret_key),
    }
    path = "/connect-service/v2.1/devices?" + "&".join(f"{k}={v}" for k, v in query.items())
    return platform, fakeiot.HttpRequest.from_url("GET", path, headers=headers)


def bench_enos(number: int, rounds: int) -> list[Result]:
    platform, request = enos_get_device_request()
    probe = platform.handle(request)
    assert probe.status == 200, probe.body
    assert probe.json_body()["code"] == 0, probe.body
    url = ENOS_BASE + request.target
    headers = dict(request.headers)
    adapter_session = requests.Session()
    adapter_session.mount(ENOS_BASE, fakeiot.Adapter(platform))
    canned_session = requests.Session()
    canned_session.mount(ENOS_BASE, CannedAdapter(probe.body, dict(probe.headers)))

    def via(session: requests.Session) -> Callable[[], AbstractContextManager[Call]]:
        @contextlib.contextmanager
        def factory() -> Iterator[Call]:
            first = session.get(url, headers=headers)
            assert first.status_code == 200, first.content
            assert first.json()["code"] == 0, first.content
            yield lambda: session.get(url, headers=headers)

        return factory

    @contextlib.contextmanager
    def handle() -> Iterator[Call]:
        yield lambda: platform.handle(request)

    handled = compare([("handle", handle)], number=number, rounds=rounds, warmup=1000)["handle"]
    samples = compare(
        [("fakeiot.Adapter", via(adapter_session)), ("do-nothing adapter", via(canned_session))],
        number=number // 10,
        rounds=rounds,
        warmup=100,
    )
    t_adapter, t_canned = median(samples["fakeiot.Adapter"]), median(samples["do-nothing adapter"])
    return [
        Result(
            key="enos.handle.get_device",
            label="7. Platform.handle, EnOS get-device (signed, access token)",
            value=median(handled),
            unit="s",
            extra={"median": median(handled), "min": min(handled), "samples": handled},
        ),
        versus(
            "enos.requests.adapter.vs.do-nothing",
            "7. requests GET EnOS get-device via Adapter vs do-nothing",
            t_adapter,
            "do-nothing adapter",
            t_canned,
            extra={
                "fakeiot": samples["fakeiot.Adapter"],
                "baseline": samples["do-nothing adapter"],
            },
        ),
    ]


# =============================================================================================
# 9. IoTDA show-device: Platform.handle (signature included), and the official SDK
# =============================================================================================
IOTDA_ENDPOINT = "https://iotda.bench.example"


def iotda_setup() -> tuple[fakeiot.Platform, Any, str]:
    """A platform with one IoTDA device and an ``IoTDAClient`` built as in production."""
    os.environ.setdefault("HOME", "/tmp")  # the SDK writes ~/.huaweicloud/application_id
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkiotda.v5 import IoTDAClient

    platform = fakeiot.Platform(seed=0)
    io = platform.iotda
    keys = io.create_project()
    device = io.add_device(keys, io.create_product(keys), node_id="node-1", secret="s3cret-01")
    credentials = BasicCredentials(keys.ak, keys.sk, keys.project_id)
    client = (
        IoTDAClient.new_builder()
        .with_credentials(credentials)
        .with_endpoint(IOTDA_ENDPOINT)
        .build()
    )
    return platform, client, device.device_id


def bench_iotda(number: int, rounds: int) -> list[Result]:
    from huaweicloudsdkiotda.v5 import ShowDeviceRequest

    platform, client, device_id = iotda_setup()
    sdk_request = ShowDeviceRequest(device_id=device_id)
    captured: list[fakeiot.HttpRequest] = []
    capture = _Capture(captured)
    platform.hooks.register(capture)
    with fakeiot.mock(platform):
        assert client.show_device(sdk_request).status == "INACTIVE"
    platform.hooks.unregister(capture)
    request = captured[-1]
    probe = platform.handle(request)
    assert probe.status == 200, probe.body
    http = client._http_client if client._http_client else client.get_http_client()
    session = http._session

    @contextlib.contextmanager
    def handle() -> Iterator[Call]:
        yield lambda: platform.handle(request)

    @contextlib.contextmanager
    def via_mock() -> Iterator[Call]:
        with fakeiot.mock(platform):
            yield lambda: client.show_device(sdk_request)

    @contextlib.contextmanager
    def do_nothing() -> Iterator[Call]:
        canned = CannedAdapter(probe.body, dict(probe.headers))
        real = session.adapters["https://"]
        session.mount("https://", canned)
        try:
            yield lambda: client.show_device(sdk_request)
        finally:
            session.mount("https://", real)

    handled = compare([("handle", handle)], number=number, rounds=rounds, warmup=1000)["handle"]
    samples = compare(
        [("mock", via_mock), ("do-nothing adapter", do_nothing)],
        number=number // 20,
        rounds=rounds,
        warmup=50,
    )
    t_mock, t_canned = median(samples["mock"]), median(samples["do-nothing adapter"])
    return [
        Result(
            key="iotda.handle.show_device",
            label="9. Platform.handle, IoTDA show-device (SDK-HMAC-SHA256 checked)",
            value=median(handled),
            unit="s",
            budget="<= 25 µs",
            passed=median(handled) <= 25e-6,
            extra={"median": median(handled), "min": min(handled), "samples": handled},
        ),
        Result(
            key="iotda.sdk.mock.own",
            label="9. IoTDA SDK show_device: mock() minus do-nothing adapter (own cost)",
            value=t_mock - t_canned,
            unit="s",
            baseline_name="do-nothing adapter",
            baseline=t_canned,
            budget="< 30 µs",
            passed=t_mock - t_canned < 30e-6,
            extra={"fakeiot": samples["mock"], "baseline": samples["do-nothing adapter"]},
        ),
        versus(  # the same difference as a share of the SDK's own call: what a user notices
            "iotda.sdk.mock.share",
            "9. IoTDA SDK show_device: mock() vs do-nothing adapter",
            t_mock,
            "do-nothing adapter",
            t_canned,
        ),
    ]


class _Capture:
    """A plugin that keeps the requests the platform serves (to replay the SDK's own request)."""

    def __init__(self, into: list[fakeiot.HttpRequest]) -> None:
        self.into = into

    @fakeiot.hookimpl
    def fakeiot_response(
        self, platform: fakeiot.Platform, request: fakeiot.HttpRequest, response: Any
    ) -> None:
        self.into.append(request)


# =============================================================================================
# 8. Contract machines: steps per second
# =============================================================================================
def contract_steps_per_second(
    machine: type[Contract], examples: int, steps: int, rounds: int
) -> tuple[float, int, list[float]]:
    """Steps per second of ``machine`` with its default client over a fixed, derandomised
    budget (best of ``rounds`` runs); also the steps one run takes."""
    from hypothesis import HealthCheck, Phase, settings
    from hypothesis.stateful import run_state_machine_as_test

    counted = [0]

    class Counting(machine):  # type: ignore[misc,valid-type]
        def teardown(self) -> None:
            counted[0] += len(self.history)
            super().teardown()

    budget = settings(
        max_examples=examples,
        stateful_step_count=steps,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    rates = []
    for _ in range(rounds):
        counted[0] = 0
        began = time.perf_counter()
        run_state_machine_as_test(Counting, settings=budget)
        rates.append(counted[0] / (time.perf_counter() - began))
    return max(rates), counted[0], rates


def bench_contract(examples: int, steps: int, rounds: int) -> list[Result]:
    from fakeiot.contract import EnosContract, OceanConnectContract

    results = []
    for name, machine in (("oceanconnect", OceanConnectContract), ("enos", EnosContract)):
        best, total, rates = contract_steps_per_second(machine, examples, steps, rounds)
        results.append(
            Result(
                key=f"contract.{name}.steps_per_second",
                label=f"8. {machine.__name__} steps/s, default client "
                f"({examples} examples x {steps} steps)",
                value=best,
                unit="/s",
                extra={"steps_per_run": total, "rates": rates},
            )
        )
    return results


# =============================================================================================
# 9. Interception beyond requests: urllib and httpx under mock()
# =============================================================================================
def bench_intercept(setup: Setup, number: int, rounds: int) -> list[Result]:
    """The activation-status query through ``urllib.request`` and ``httpx`` under ``mock()``,
    each against its own baseline: a do-nothing urllib handler returning the canned answer,
    and ``respx`` serving it (the explicit ``HttpxTransport`` too, for comparison)."""
    import http.client
    import ssl
    import urllib.request
    import urllib.response

    import httpx
    import respx

    probe = setup.platform.handle(
        fakeiot.HttpRequest.from_url("GET", setup.path, headers=setup.headers)
    )
    assert probe.status == 200, probe.body
    body, url, headers = probe.body, setup.url, setup.headers
    context = ssl.create_default_context()  # one per opener: urlopen's default loads the CA
    # store for every connection, which would swamp every other cost

    class CannedHandler(urllib.request.HTTPSHandler):
        """A do-nothing urllib handler: the canned answer, no connection."""

        def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            message = http.client.HTTPMessage()
            message["Content-Type"] = JSON_TYPE
            answer = urllib.response.addinfourl(io.BytesIO(body), message, req.full_url, 200)
            # urllib reads the reason phrase from ``msg``, as an HTTPResponse carries it
            answer.msg = "OK"  # type: ignore[attr-defined]
            return answer  # type: ignore[return-value]

    def urllib_call(opener: urllib.request.OpenerDirector) -> Call:
        request = urllib.request.Request(url, headers=headers)
        with opener.open(request) as first:
            assert first.read() == body

        def call() -> object:
            with opener.open(urllib.request.Request(url, headers=headers)) as answer:
                return answer.read()

        return call

    plain_opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context)
    )
    canned_opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({}), CannedHandler(context=context)
    )

    @contextlib.contextmanager
    def urllib_mock() -> Iterator[Call]:
        with fakeiot.mock(setup.platform):
            yield urllib_call(plain_opener)

    @contextlib.contextmanager
    def urllib_canned() -> Iterator[Call]:
        yield urllib_call(canned_opener)

    def httpx_call(client: httpx.Client) -> Call:
        first = client.get(url, headers=headers)
        assert first.content == body, first.content

        def call() -> object:
            return client.get(url, headers=headers).content

        return call

    plain_client = httpx.Client(trust_env=False)
    transport_client = httpx.Client(transport=fakeiot.HttpxTransport(setup.platform))

    @contextlib.contextmanager
    def httpx_mock() -> Iterator[Call]:
        with fakeiot.mock(setup.platform):
            yield httpx_call(plain_client)

    @contextlib.contextmanager
    def httpx_transport() -> Iterator[Call]:
        yield httpx_call(transport_client)

    @contextlib.contextmanager
    def httpx_respx() -> Iterator[Call]:
        with respx.mock(assert_all_called=False) as router:
            router.get(url).respond(200, content=body, headers={"Content-Type": JSON_TYPE})
            yield httpx_call(plain_client)

    results: list[Result] = []
    families: list[tuple[str, list[Contender], str | None]] = [
        ("urllib", [("fakeiot.mock", urllib_mock), ("do-nothing handler", urllib_canned)], None),
        (
            "httpx",
            [
                ("fakeiot.mock", httpx_mock),
                ("fakeiot.HttpxTransport", httpx_transport),
                ("respx", httpx_respx),
            ],
            "respx",
        ),
    ]
    for family, contenders, baseline in families:
        samples = compare(contenders, number=number, rounds=rounds, warmup=max(50, number // 20))
        t = {name: median(values) for name, values in samples.items()}
        base = baseline or contenders[1][0]
        for name, _factory in contenders:
            if name == base:
                continue
            results.append(
                versus(
                    f"{family}.{name.split('.')[-1].lower()}.vs.{base.split()[0]}",
                    f"9. {family} GET via {name} vs {base}",
                    t[name],
                    base,
                    t[base],
                    extra={"fakeiot": samples[name], "baseline": samples[base]},
                )
            )
    return results


# =============================================================================================
# Profile
# =============================================================================================
def profile(setup: Setup, number: int, top: int) -> str:
    """cProfile top costs of Platform.handle, the Adapter and do-nothing paths, the fixture."""
    platform = setup.platform
    request = fakeiot.HttpRequest.from_url("GET", setup.path, headers=setup.headers)
    body = platform.handle(request).body
    session = requests.Session()
    session.mount(BASE, fakeiot.Adapter(platform))
    canned = requests.Session()
    canned.mount(BASE, CannedAdapter(body, {"Content-Type": JSON_TYPE}))
    url, headers = setup.url, setup.headers
    out = io.StringIO()
    targets: list[tuple[str, Call, int]] = [
        ("Platform.handle (activation-status query)", lambda: platform.handle(request), number),
        (
            "requests Session.get via fakeiot.Adapter",
            lambda: session.get(url, headers=headers),
            number // 4,
        ),
        (
            "requests Session.get via do-nothing adapter",
            lambda: canned.get(url, headers=headers),
            number // 4,
        ),
    ]

    def fixture() -> object:
        fresh = fakeiot.Platform()
        with fakeiot.mock(fresh):
            pass
        fresh.check_invariants()
        return fresh

    targets.append(("fixture: Platform() + mock() + check_invariants()", fixture, number // 40))
    for title, call, calls in targets:
        for _ in range(min(1000, calls)):
            call()
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(calls):
            call()
        profiler.disable()
        for order in ("tottime", "cumulative"):
            out.write(f"\n=== {title}: {calls} calls, top {top} by {order} ===\n")
            pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order).print_stats(top)
        if "Adapter" in title and "do-nothing" not in title:
            # Only fakeiot's own functions (paths under fakeiot/), by cumulative time.
            out.write(f"\n=== {title}: fakeiot's functions only, by cumulative ===\n")
            stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
            stats.print_stats(r"/fakeiot/", top)
    return out.getvalue()


# =============================================================================================
# Main
# =============================================================================================
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="10^5 devices instead of 10^6")
    parser.add_argument("--json", action="store_true", help="print results as JSON")
    parser.add_argument("--profile", action="store_true", help="also print cProfile top costs")
    parser.add_argument("--rounds", type=int, default=0, help="rounds per comparison")
    parser.add_argument(
        "--only",
        default="1,2,3,4,5,6,7,8,9",
        help="comma-separated sections to run (default: all), e.g. --only 1,2 --profile",
    )
    parser.add_argument("--scale-child", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.scale_child:
        print(json.dumps(scale_child(args.scale_child, args.rounds or 15)))
        return 0

    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else -1.0
    rounds = args.rounds or (9 if args.quick else 15)
    only = {part.strip() for part in args.only.split(",") if part.strip()}
    results: list[Result] = []
    if "1" in only:
        note("1. requests per-call cost ...")
        results += bench_requests(make_setup(), number=2000, rounds=rounds)
    if "2" in only:
        note("2. Platform.handle ...")
        results += bench_handle(make_setup(), number=20_000, rounds=rounds)
    if "3" in only:
        note("3. scale ...")
        results += bench_scale(100_000 if args.quick else 1_000_000, rounds)
    if "4" in only:
        note("4. import time ...")
        results += bench_import(runs=7 if args.quick else 15)
    if "5" in only:
        note("5. fixture cost ...")
        results += bench_fixture(number=300, rounds=rounds)
    if "6" in only:
        note("6. loopback server ...")
        results += bench_server(make_setup(), number=500, rounds=rounds)
    if "7" in only:
        note("7. EnOS get-device ...")
        results += bench_enos(number=20_000, rounds=rounds)
    if "9" in only:
        note("9. IoTDA show-device ...")
        results += bench_iotda(number=20_000, rounds=rounds)
    if "8" in only:
        note("8. contract machines ...")
        results += bench_contract(examples=20, steps=25, rounds=3 if args.quick else 5)
    if "9" in only:
        note("9. urllib and httpx under mock() ...")
        results += bench_intercept(make_setup(), number=1000, rounds=rounds)

    load_after = os.getloadavg()[0] if hasattr(os, "getloadavg") else -1.0
    machine = {
        "python": sys.version,
        "platform": sys.platform,
        "cpus": os.cpu_count(),
        "load_before": load_before,
        "load_after": load_after,
        "quick": args.quick,
    }
    if args.json:
        print(json.dumps({**machine, "results": [asdict(r) for r in results]}))
    else:
        print(
            f"fakeiot {fakeiot.__version__} on Python {sys.version.split()[0]}, {sys.platform}, "
            f"{os.cpu_count()} CPUs, 1-min load average {load_before:.2f} before, "
            f"{load_after:.2f} after (other work on the machine skews the figures)"
        )
        print(table(results))
        missed = [r.label for r in results if r.passed is False]
        print(f"\n{sum(r.passed is True for r in results)} PASS, {len(missed)} MISS")
    if args.profile:
        text = profile(make_setup(), number=20_000, top=10)
        print(text, file=sys.stderr if args.json else sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
