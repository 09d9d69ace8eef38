"""Every bench case has a `compiled` program or says in its cell why it has none."""

from __future__ import annotations

import pytest
from duograd.benchmarks.cli import discover
from duograd.benchmarks.report import cell_text
from duograd.benchmarks.runner import CaseResult, Settings, parity, time_case
from duograd.benchmarks.workload import Case


def _cases(name, wl, quick):
    try:
        return wl.cases(quick)
    except Exception as e:  # noqa: BLE001 - a missing extra (e.g. mpiexec) lists no cases
        pytest.skip(f"{name} cannot list its cases here: {e}")


@pytest.mark.parametrize("quick", [True, False])
@pytest.mark.parametrize("name", sorted(discover()))
def test_compiled_program_or_a_reason(name, quick):
    wl = discover()[name]
    for case in _cases(name, wl, quick):
        has = "compiled" in case.impls
        why = case.absent.get("compiled", "")
        assert has or why, f"{name}: {case.name}: no compiled program and no reason"


def test_absent_column_shows_its_reason_in_the_cell():
    case = Case(
        "tiny",
        {"eager": lambda: lambda: 1.0},
        parity=False,
        absent={"compiled": "nothing to compile here"},
    )
    cells = time_case(case, ["eager", "compiled"], Settings(rounds=1, round_seconds=0.001))
    assert cells["compiled"].absent == "nothing to compile here"
    result = CaseResult("w", "tiny", cells)
    assert cell_text(result, "compiled") == "n/a: nothing to compile here"
    assert cell_text(result, "eager")  # the timed column still has its time


def test_session_parity_includes_compiled():
    case = next(c for c in discover()["session"].cases(True) if "feed" in c.name)
    assert {"graph", "eager", "compiled"} <= set(case.impls)
    assert parity(case) == "bitwise"


def test_an_untimed_case_may_give_its_own_parity_verdict():
    case = Case("soak-like", {"graph": None, "eager": None}, parity=False)
    case.extra["parity"] = "compiled vs eager final loss: bitwise"
    assert parity(case) == "compiled vs eager final loss: bitwise"


def test_soak_compiled_matches_eager_bitwise_over_a_short_run():
    from duograd.benchmarks.workloads import soak

    eager = soak.soak_eager(40, (20, 40))
    compiled = soak.soak_compiled(40, (20, 40))
    assert compiled["final_loss_hex"] == eager["final_loss_hex"]
    assert compiled["captures"] == 1
