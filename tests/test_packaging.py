"""Packaging: every package folder is installed under duograd.*, and importing compiles nothing."""

from __future__ import annotations

import pathlib
import subprocess
import sys

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = None

ROOT = pathlib.Path(__file__).resolve().parents[1]
MAPPED = {
    "core": "duograd.core",
    "frontends": "duograd.frontends",
    "benchmarks": "duograd.benchmarks",
}


def test_every_package_folder_is_listed_in_pyproject():
    if tomllib is None:
        import pytest

        pytest.skip("tomllib needs Python 3.11")
    conf = tomllib.loads((ROOT / "pyproject.toml").read_text())
    listed = set(conf["tool"]["setuptools"]["packages"])
    assert conf["tool"]["setuptools"]["package-dir"] == {v: k for k, v in MAPPED.items()}
    found = set()
    for top, name in MAPPED.items():
        for init in (ROOT / top).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / top)
            found.add(".".join([name, *rel.parts]) if rel.parts else name)
    assert found - listed == set(), f"package folders missing from pyproject: {found - listed}"
    assert listed - found == set(), f"pyproject lists packages that do not exist: {listed - found}"


def test_nothing_named_core_is_importable_at_top_level():
    code = (
        "import importlib.util, sys; sys.path.remove(''); "
        "print(importlib.util.find_spec('core') is None)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd="/")
    assert out.stdout.strip() == "True", out.stderr


def test_import_compiles_nothing():
    code = """
import numba.core.registry
import duograd.core
import duograd.core.kernels
import sys
compiled = []
for name, mod in list(sys.modules.items()):
    if not name.startswith("duograd"):
        continue
    for attr, val in vars(mod).items():
        if isinstance(val, numba.core.registry.CPUDispatcher) and val.signatures:
            compiled.append(f"{name}.{attr}")
print("COMPILED", compiled)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd="/")
    assert "COMPILED []" in out.stdout, out.stdout + out.stderr
