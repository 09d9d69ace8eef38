"""A short soak (the benchmark workload's code, a few hundred steps): nothing grows per step.

The full 10,000-step soak with memory figures is a benchmark (`duograd bench --only soak`);
this keeps its code working and checks the sizes it reports stay constant between checkpoints.
"""

from __future__ import annotations

from duograd.benchmarks.workloads import soak


def test_graph_training_adds_no_nodes_and_no_plans():
    fig = soak.soak_graph(steps=150, checkpoints=(50, 150))
    assert fig["50"]["graph_nodes"] == fig["150"]["graph_nodes"] == fig["graph_nodes_before"]
    assert fig["50"]["cached_plans"] == fig["150"]["cached_plans"]
    assert fig["150"]["rss_mb"] > 0


def test_eager_training_keeps_no_tape_alive_across_steps():
    fig = soak.soak_eager(steps=150, checkpoints=(50, 150))
    # what is alive at a checkpoint is only the last step's (freed) graph, the same each time
    assert fig["50"]["tape_nodes_alive"] == fig["150"]["tape_nodes_alive"] < 20
    assert fig["50"]["optimizer_states"] == fig["150"]["optimizer_states"] == 4


def test_the_summary_names_every_figure():
    fig = {
        "graph_nodes_before": 69,
        "1000": {"rss_mb": 170.0, "peak_rss_mb": 171.0, "graph_nodes": 69, "cached_plans": 2},
        "10000": {"rss_mb": 170.5, "peak_rss_mb": 171.0, "graph_nodes": 69, "cached_plans": 2},
    }
    assert soak.summary(fig) == "RSS 170.0->170.5 MB (peak 171.0), nodes 69->69, plans 2"


def test_untimed_workloads_report_their_figures(tmp_path):
    from duograd.benchmarks import report, runner
    from duograd.benchmarks.workload import Case

    def failing():
        raise RuntimeError("no luck")

    case = Case(
        "figures",
        {"graph": lambda: lambda: {"summary": "RSS flat", "rss_mb": 1.0}, "eager": failing},
        parity=False,
    )
    cells = runner.run_once(case, ["graph", "eager"])
    assert case.extra["graph"]["rss_mb"] == 1.0 and case.extra["graph"]["wall_s"] >= 0
    assert cells["graph"].median_s is None  # not a timing: no chart bar, no ratio
    assert "no luck" in cells["eager"].error
    result = runner.CaseResult("soak", "figures", cells, extra=dict(case.extra))
    assert report.cell_text(result, "graph") == "RSS flat"
    assert report.to_json([result], {})["cases"][0]["extra"]["graph"]["summary"] == "RSS flat"
    meta = {"machine": {"cpu": "c", "cores": 2, "platform": "p", "python": "3"}, "versions": {},
            "threads": {}}  # fmt: skip
    paths = report.write_report([result], meta, str(tmp_path), [])
    text = open(paths["markdown"]).read()
    assert "## Figures" in text and '"rss_mb": 1.0' in text
