"""The Hypothesis budget the state-machine tests run with, in CI and locally alike."""

from __future__ import annotations

from hypothesis import HealthCheck, Phase, settings

#: a fixed number of examples, derandomised, no example database: every run takes the same steps.
CI = settings(
    max_examples=30,
    stateful_step_count=25,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=False,
    suppress_health_check=[HealthCheck.too_slow],
)
#: for the buggy clients: stop at the first failing example (shrinking it costs seconds).
FIND = settings(CI, phases=[Phase.generate])

#: examples per route in the schema-driven fuzz tests (many routes, so few examples each; the
#: strategies enumerate each field's violations, so few examples already reach every one).
FUZZ = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
#: examples per (route, field, violation) case: each case already aims at one rule.
FUZZ_CASE = settings(FUZZ, max_examples=4)
