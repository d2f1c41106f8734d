"""The Hypothesis budget the state-machine tests run with, in CI and locally alike."""

from __future__ import annotations

from hypothesis import HealthCheck, Phase, settings

#: a fixed number of examples, derandomised, no example database: every run takes the same steps.
CI = settings(
    max_examples=12,
    stateful_step_count=20,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=False,
    suppress_health_check=[HealthCheck.too_slow],
)
#: for the buggy clients: stop at the first failing example (shrinking it costs seconds).
FIND = settings(CI, phases=[Phase.generate])
#: the differential machine: every step runs on seven transports, so fewer, longer examples.
DIFFERENTIAL = settings(CI, max_examples=6, stateful_step_count=30)
#: the fuzz tests of tests/test_fuzz.py; each test sets its own max_examples.
FUZZ = settings(
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=False,
    suppress_health_check=[HealthCheck.too_slow],
)
#: tests/test_schema_fuzz.py: each test draws each of its few cases once (the cases are enumerated
#: from the schemas, so one example per test already reaches every field's every violation).
SCHEMA_FUZZ = settings(
    FUZZ,
    max_examples=1,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)
