"""Which SIMD code path the bench runs: the host's, or a forced AVX2 one (`--cpu haswell`).

Forcing a path means telling every library before it compiles or loads its kernels: numba
targets `NUMBA_CPU_NAME` with exactly the features in `NUMBA_CPU_FEATURES` (without the
latter numba would add the host's own features, AVX-512 included), numpy's OpenBLAS takes
`OPENBLAS_CORETYPE`, and the peers' kernels take `ATEN_CPU_CAPABILITY` (torch),
`ONEDNN_MAX_CPU_ISA` (torch and TensorFlow) and `MKL_ENABLE_INSTRUCTIONS`. Those are read
once per process, so the bench re-executes itself with them set. Each path gets its own
kernel cache folder, so code compiled for one CPU never serves the other.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# Features of an AVX2 + FMA x86-64 core (Haswell and later, AMD Zen 1-3), and every AVX-512
# subset switched off explicitly so none leaks in from the host.
_AVX2_ON = (
    "64bit avx avx2 bmi bmi2 cmov cx16 f16c fma fsgsbase fxsr lzcnt mmx movbe pclmul popcnt "
    "rdrnd sse sse2 sse3 sse4.1 sse4.2 ssse3 xsave xsaveopt"
).split()
_AVX512_OFF = (
    "avx512f avx512cd avx512dq avx512bw avx512vl avx512ifma avx512vbmi avx512vbmi2 avx512vnni "
    "avx512bitalg avx512vpopcntdq avx512bf16 avx512fp16 avx512vp2intersect evex512"
).split()
AVX2_FEATURES = ",".join([f"+{f}" for f in _AVX2_ON] + [f"-{f}" for f in _AVX512_OFF])
# CPU names the bench can force; all are AVX2 + FMA without AVX-512.
AVX2_CPUS = ("haswell", "broadwell", "skylake", "znver1", "znver2", "znver3")
# Set in the re-executed process: the path it was started for.
MARKER = "DUOGRAD_BENCH_CPU_APPLIED"
# The environment variable equivalent of `duograd bench --cpu NAME`.
ENV_OPTION = "DUOGRAD_BENCH_CPU"


def cache_base() -> Path:
    """The kernel cache folder duograd would use (same rule as core.kernels.cache)."""
    env = os.environ.get("DUOGRAD_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "duograd"


def forced_env(cpu: str) -> dict[str, str]:
    """Environment variables that make numba, OpenBLAS and the peers run the AVX2 path of cpu."""
    if cpu not in AVX2_CPUS:
        raise ValueError(
            f"duograd bench --cpu: unknown CPU {cpu!r}; choose 'host' or one of "
            f"{', '.join(AVX2_CPUS)} (AVX2 + FMA, no AVX-512)"
        )
    cache = cache_base() / f"cpu-{cpu}"
    return {
        "NUMBA_CPU_NAME": cpu,
        "NUMBA_CPU_FEATURES": AVX2_FEATURES,
        "OPENBLAS_CORETYPE": "Haswell",
        "ATEN_CPU_CAPABILITY": "avx2",
        "ONEDNN_MAX_CPU_ISA": "AVX2",
        "MKL_ENABLE_INSTRUCTIONS": "AVX2",
        "DUOGRAD_CACHE_DIR": str(cache),
        "NUMBA_CACHE_DIR": str(cache / "numba"),
        MARKER: cpu,
    }


def requested(option: str | None) -> str:
    """The path asked for: the --cpu option, else $DUOGRAD_BENCH_CPU, else 'host'."""
    return (option or os.environ.get(ENV_OPTION) or "host").strip().lower()


def reexec_if_needed(cpu: str, argv: list[str]) -> None:
    """Restart this process with the forced path's environment unless it already runs it."""
    if cpu == "host" or os.environ.get(MARKER) == cpu:
        return
    env = {**os.environ, **forced_env(cpu)}
    code = "import sys; from duograd.benchmarks.cli import main; sys.exit(main(sys.argv[1:]))"
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, "-c", code, *argv], env)


def describe() -> dict:
    """The code path this process compiles for: numba's target and the matmul micro-kernel."""
    import numba
    import numba.core.config as cfg

    from ..core.kernels import matmul_ukernel as uk

    try:
        import llvmlite.binding as llb

        host = llb.get_host_cpu_name()
    except Exception:  # pragma: no cover - an LLVM that cannot name the host
        host = "unknown"
    target = cfg.CPU_NAME or host
    features = cfg.CPU_FEATURES
    forced = os.environ.get(MARKER) or (cfg.CPU_NAME if cfg.CPU_NAME else None)
    tiles = {k: f"{mr}x{nr}" for k, (mr, nr, _vl) in uk.TILES.items()}
    return {
        "forced": forced,
        "numba_target": target,
        "numba_features": "host" if features is None else features,
        "numba_version": numba.__version__,
        "llvm_host_cpu": host,
        "matmul_microkernel": "AVX-512" if uk.VECTOR_BITS == 512 else "AVX2",
        "vector_bits": uk.VECTOR_BITS,
        "tiles": tiles,
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
    }


def summary(path: dict) -> str:
    """One line for the table header: which path ran."""
    how = f"forced {path['forced']}" if path["forced"] else "host"
    tiles = ", ".join(f"{k} {v}" for k, v in path["tiles"].items())
    blas = path["openblas_coretype"] or "auto"
    return (
        f"code path: {how}; numba target {path['numba_target']}; matmul micro-kernel "
        f"{path['matmul_microkernel']} ({path['vector_bits']}-bit, tiles {tiles}); "
        f"OpenBLAS core {blas}"
    )
