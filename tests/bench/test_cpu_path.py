"""The bench's code-path switch: forced AVX2 environment, re-execution, what the report records."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from duograd.benchmarks import cpu_path
from duograd.benchmarks.machine import describe
from duograd.core.kernels.matmul_ukernel import VECTOR_BITS, vector_bits_for


def test_forced_env_names_the_cpu_and_switches_every_avx512_feature_off():
    env = cpu_path.forced_env("haswell")
    assert env["NUMBA_CPU_NAME"] == "haswell"
    feats = env["NUMBA_CPU_FEATURES"].split(",")
    assert "+avx2" in feats and "+fma" in feats and "-avx512f" in feats
    assert not [f for f in feats if f.startswith("+avx512")]
    assert env["OPENBLAS_CORETYPE"] == "Haswell"
    # a separate cache per path, so kernels compiled for one CPU never serve the other
    assert env["DUOGRAD_CACHE_DIR"].endswith("cpu-haswell")
    assert env["NUMBA_CACHE_DIR"].startswith(env["DUOGRAD_CACHE_DIR"])


def test_unknown_cpu_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="haswell"):
        cpu_path.forced_env("pentium4")


def test_requested_prefers_the_option_then_the_environment(monkeypatch):
    monkeypatch.setenv(cpu_path.ENV_OPTION, "znver2")
    assert cpu_path.requested(None) == "znver2"
    assert cpu_path.requested("haswell") == "haswell"
    monkeypatch.delenv(cpu_path.ENV_OPTION)
    assert cpu_path.requested(None) == "host"


def test_host_path_does_not_reexecute(monkeypatch):
    monkeypatch.setattr(os, "execve", lambda *a: pytest.fail("re-executed on the host path"))
    cpu_path.reexec_if_needed("host", ["bench"])
    monkeypatch.setenv(cpu_path.MARKER, "haswell")
    cpu_path.reexec_if_needed("haswell", ["bench"])  # already running the forced path


def test_forced_path_reexecutes_with_its_environment(monkeypatch):
    seen = {}

    def fake_execve(exe, args, env):
        seen.update(exe=exe, args=args, env=env)

    monkeypatch.delenv(cpu_path.MARKER, raising=False)
    monkeypatch.setattr(os, "execve", fake_execve)
    cpu_path.reexec_if_needed("haswell", ["bench", "--only", "kernels"])
    assert seen["exe"] == sys.executable
    assert seen["args"][-3:] == ["bench", "--only", "kernels"]
    assert seen["env"]["NUMBA_CPU_NAME"] == "haswell"
    assert seen["env"][cpu_path.MARKER] == "haswell"


def test_vector_width_follows_numbas_real_target():
    # numba adds the host's features to a named CPU unless NUMBA_CPU_FEATURES is set
    assert vector_bits_for("haswell", None, True) == 512
    assert vector_bits_for("haswell", cpu_path.AVX2_FEATURES, True) == 256
    assert vector_bits_for(None, None, False) == 256
    assert vector_bits_for("znver4", "", False) == 512
    assert vector_bits_for("znver2", "", True) == 256
    assert vector_bits_for("x", "+avx2,+avx512f", False) == 512


def test_results_record_the_code_path_that_ran():
    meta = describe({})
    path = meta["code_path"]
    assert path["vector_bits"] == VECTOR_BITS
    assert path["matmul_microkernel"] == ("AVX-512" if VECTOR_BITS == 512 else "AVX2")
    assert set(path["tiles"]) == {"float32", "float64"}
    json.dumps(meta)  # results.json must be able to hold it
    line = cpu_path.summary(path)
    assert "micro-kernel" in line and path["numba_target"] in line


def test_a_forced_process_compiles_the_avx2_micro_kernel(tmp_path):
    env = {**os.environ, **cpu_path.forced_env("haswell")}
    env["DUOGRAD_CACHE_DIR"] = str(tmp_path)
    env["NUMBA_CACHE_DIR"] = str(tmp_path / "numba")
    code = (
        "from duograd.benchmarks import cpu_path; import json; "
        "print(json.dumps(cpu_path.describe()))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    path = json.loads(out.stdout.strip().splitlines()[-1])
    assert path["forced"] == "haswell" and path["numba_target"] == "haswell"
    assert path["matmul_microkernel"] == "AVX2" and path["vector_bits"] == 256
    assert path["tiles"] == {"float32": "6x16", "float64": "6x8"}
