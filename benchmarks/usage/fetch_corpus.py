"""Fetch the usage corpus: real public PyTorch / TF1 projects from PyPI, as a folder of .py files.

Usage: python -m duograd.benchmarks.usage.fetch_corpus OUT_DIR [--download-dir D] [--per-package N]

Downloads each pinned package of PACKAGES with pip (source distribution first, since those carry
the examples; the wheel when no source distribution can be had), unpacks it under the download
folder, and copies into OUT_DIR the files that use PyTorch or TensorFlow, at most N per package:
example / tutorial / script files first, then model files, then the rest of the library; test
files are never taken. Each copied file starts with the line

    # source: NAME==VERSION PATH KIND

(KIND is `program` or `library`) that build_corpus.py reads as its provenance. Nothing fetched
here is committed: only the counts build_corpus.py derives from OUT_DIR are.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

# (pip requirement, style). Versions are pinned so the corpus can be rebuilt as it was; the TF1
# side pins the last releases written against the graph/session API.
PACKAGES: tuple[tuple[str, str], ...] = (
    # PyTorch programs and libraries
    ("torchvision==0.19.1", "torch"),
    ("pytorch-lightning==1.9.5", "torch"),
    ("pytorch-ignite==0.4.13", "torch"),
    ("skorch==0.15.0", "torch"),
    ("pyro-ppl==1.9.1", "torch"),
    ("kornia==0.7.3", "torch"),
    ("torchtext==0.18.0", "torch"),
    ("d2l==0.17.6", "torch"),
    ("catalyst==21.12", "torch"),
    ("timm==0.9.16", "torch"),
    ("allennlp==2.10.1", "torch"),
    ("torchdiffeq==0.2.4", "torch"),
    ("gpytorch==1.11", "torch"),
    ("botorch==0.9.5", "torch"),
    ("pytorch-metric-learning==2.5.0", "torch"),
    ("torchsde==0.2.6", "torch"),
    ("higher==0.2.1", "torch"),
    ("learn2learn==0.2.0", "torch"),
    ("poutyne==1.17", "torch"),
    ("torchbearer==0.5.3", "torch"),
    ("pfrl==0.4.0", "torch"),
    ("pytorch-tabnet==4.1.0", "torch"),
    ("captum==0.7.0", "torch"),
    ("opacus==1.4.0", "torch"),
    ("tianshou==0.5.1", "torch"),
    # TF1 (graph / session) programs and libraries
    ("tflearn==0.5.0", "tf1"),
    ("stable-baselines==2.10.2", "tf1"),
    ("tensor2tensor==1.15.7", "tf1"),
    ("tensorpack==0.11", "tf1"),
    ("tf-slim==1.1.0", "tf1"),
    ("dm-sonnet==1.36", "tf1"),
    ("trfl==1.2.0", "tf1"),
    ("gpflow==1.5.1", "tf1"),
    ("edward==1.3.5", "tf1"),
    ("magenta==1.3.1", "tf1"),
    ("dopamine-rl==3.0.1", "tf1"),
    ("tensorlayer==1.11.1", "tf1"),
    ("cleverhans==3.1.0", "tf1"),
    ("adanet==0.9.0", "tf1"),
    ("tensorforce==0.5.5", "tf1"),
    ("lucid==0.3.10", "tf1"),
    ("bert-tensorflow==1.0.4", "tf1"),
    ("gpt-2-simple==0.8.1", "tf1"),
    ("graph-nets==1.1.0", "tf1"),
    ("deepchem==2.3.0", "tf1"),
)

PROGRAM_DIRS = re.compile(
    r"(^|/)(examples?|tutorials?|notebooks?|scripts?|demos?|samples?|recipes|benchmarks?|"
    r"references|bin|apps?|pl_examples|contrib/examples)(/|$)",
    re.IGNORECASE,
)
PROGRAM_FILES = re.compile(r"^(main|train\w*|run\w*|eval\w*|demo\w*|example\w*|mnist\w*)\.py$")
MODEL_DIRS = re.compile(r"(^|/)(models?|nets?|networks?|layers?|modules?|nn)(/|$)")
TEST_PATH = re.compile(r"(^|/)(tests?|testing|test_\w+\.py|\w+_test\.py|conftest\.py)(/|$)")
USES_TORCH = re.compile(r"^\s*(import torch|from torch[ .])", re.MULTILINE)
USES_TF = re.compile(r"^\s*(import tensorflow|from tensorflow[ .])", re.MULTILINE)


def download(req: str, dest: Path) -> Path | None:
    """The archive pip downloads for `req` (source distribution first, then a wheel)."""
    dest.mkdir(parents=True, exist_ok=True)
    for how in (["--no-binary", ":all:", "--no-build-isolation"], ["--only-binary", ":all:"]):
        before = set(dest.iterdir())
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(dest), *how]
        try:
            subprocess.run([*cmd, req], check=True, capture_output=True, timeout=300)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            continue
        new = [p for p in set(dest.iterdir()) - before if p.is_file()]
        if new:
            return new[0]
        name = req.split("==")[0].replace("-", "_").lower()
        old = [p for p in dest.iterdir() if p.name.lower().replace("-", "_").startswith(name)]
        if old:  # already downloaded by an earlier run
            return old[0]
    return None


def unpack(archive: Path, into: Path) -> Path:
    """Unpack a .tar.gz / .zip / .whl into its own folder and return that folder."""
    out = into / archive.name
    if out.exists():
        return out
    if archive.suffix in (".whl", ".zip"):
        with zipfile.ZipFile(archive) as z:
            z.extractall(out)
    else:
        with tarfile.open(archive) as t:
            t.extractall(out, filter="data")
    return out


def kind_of(rel: str) -> str:
    """'program' for example / tutorial / script files, else 'library'."""
    name = rel.rsplit("/", 1)[-1]
    return "program" if PROGRAM_DIRS.search(rel) or PROGRAM_FILES.match(name) else "library"


def rank(rel: str) -> int:
    """Lower is preferred: programs, then model files, then other library files."""
    if kind_of(rel) == "program":
        return 0
    return 1 if MODEL_DIRS.search(rel) else 2


def select(root: Path, style: str, limit: int) -> list[tuple[str, str]]:
    """(relative path, text) of at most `limit` framework-using, non-test files under root."""
    pattern = USES_TORCH if style == "torch" else USES_TF
    found = []
    for f in sorted(root.rglob("*.py")):
        rel = f.relative_to(root).as_posix()
        if TEST_PATH.search(rel) or "/site-packages/" in rel:
            continue
        text = f.read_text(encoding="utf-8", errors="replace")
        if pattern.search(text):
            found.append((rank(rel), rel, text))
    found.sort(key=lambda t: (t[0], t[1]))
    return [(rel, text) for _, rel, text in found[:limit]]


def fetch(out: Path, downloads: Path, per_package: int) -> dict[str, int]:
    """Fill `out` with the selected files of every package; return files kept per package."""
    out.mkdir(parents=True, exist_ok=True)
    kept: dict[str, int] = {}
    for req, style in PACKAGES:
        archive = download(req, downloads / "archives")
        if archive is None:
            print(f"{req}: not downloadable, skipped", file=sys.stderr)
            continue
        root = unpack(archive, downloads / "unpacked")
        name = req.split("==")[0]
        files = select(root, style, per_package)
        pkg_dir = out / name
        shutil.rmtree(pkg_dir, ignore_errors=True)
        pkg_dir.mkdir(parents=True)
        for i, (rel, text) in enumerate(files):
            inner = rel.split("/", 1)[1] if "/" in rel and archive.suffix != ".whl" else rel
            head = f"# source: {req} {inner} {kind_of(inner)}\n"
            (pkg_dir / f"{i:03d}_{Path(rel).name}").write_text(head + text, encoding="utf-8")
        kept[req] = len(files)
        print(f"{req}: {len(files)} files ({archive.name})", file=sys.stderr)
    return kept


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: download, select and write the corpus folder."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out", type=Path)
    p.add_argument("--download-dir", type=Path, default=Path("/tmp/duograd-corpus-downloads"))
    p.add_argument("--per-package", type=int, default=25)
    args = p.parse_args(argv)
    kept = fetch(args.out, args.download_dir, args.per_package)
    print(f"{sum(kept.values())} files from {len(kept)} packages -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
