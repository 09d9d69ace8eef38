"""Shared pieces of the fuzz tests: settings (a fixed budget in CI, a long campaign on demand)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# DUOGRAD_FUZZ_EXAMPLES=N: a long campaign of N fresh random examples per test (hypothesis then
# minimises any failure and prints the program that reproduces it)
CAMPAIGN = int(os.environ.get("DUOGRAD_FUZZ_EXAMPLES", "0") or 0)


def budget(ci_examples: int) -> settings:
    """Derandomised with `ci_examples` examples in the suite; fresh and many in a campaign."""
    return settings(
        max_examples=CAMPAIGN or ci_examples,
        deadline=None,
        derandomize=not CAMPAIGN,
        database=None,
        print_blob=bool(CAMPAIGN),
        suppress_health_check=list(HealthCheck),
    )
