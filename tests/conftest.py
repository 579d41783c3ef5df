"""Suite-wide set-up: Hypothesis settings profiles and the PostgreSQL server plugin.

Profiles (tests never hard-code ``max_examples``; they take it from here):

* ``ci``: derandomized (the same examples on every run), no deadline, 60 examples, failing
  examples printed as reproducible blobs. Loaded when ``CI`` is true.
* ``dev``: Hypothesis' defaults (100 examples, random, with its example database) but no
  deadline, since SQLite and the first import of a module make timings noisy. Loaded otherwise.
* ``thorough``: 1,000 examples and longer state machine runs, for a soak before a release.

``HYPOTHESIS_PROFILE=<name>`` overrides the choice, e.g.
``HYPOTHESIS_PROFILE=thorough pytest tests/properties tests/stateful``.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

pytest_plugins = ["pgserver"]

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    max_examples=60,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None)
settings.register_profile(
    "thorough",
    deadline=None,
    max_examples=1000,
    stateful_step_count=100,
    suppress_health_check=[HealthCheck.too_slow],
)


def _profile() -> str:
    if chosen := os.environ.get("HYPOTHESIS_PROFILE"):
        return chosen
    in_ci = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes", "on"}
    return "ci" if in_ci else "dev"


settings.load_profile(_profile())
