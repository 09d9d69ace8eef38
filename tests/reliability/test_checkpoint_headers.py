"""Structurally mutated checkpoint headers: every one loads cleanly or raises CheckpointError.

Random byte flips mostly hit the zip checksum; these mutations instead rewrite the JSON
structure inside a well-formed archive (replace any node by any JSON value, drop a key, wrap or
unwrap), which is what a crafted file does. Whatever the mutation, loading must either return
plain data (arrays, numbers, strings, None, dicts, lists, tuples) or raise CheckpointError naming
the file, never another exception.
"""

from __future__ import annotations

import json
import os
import tempfile

import numpy as np
import pytest
from duograd.core.checkpoint import CheckpointError, load_arrays, save_arrays

hypothesis = pytest.importorskip("hypothesis")
st = hypothesis.strategies

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.floats(allow_nan=False)
    | st.text(max_size=4)
    | st.sampled_from(["__array__", "__dict__", "__list__", "tuple", "tree", "version", "format"]),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(
        st.sampled_from(["__array__", "__dict__", "__list__", "tuple", "tree", "version", "x"]),
        inner,
        max_size=3,
    ),
    max_leaves=8,
)  # fmt: skip


def _good_header() -> dict:
    """The header a real save writes for a small nested structure."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "g.npz")
        tree = {"w": np.ones((2, 2), np.float32), "meta": [1, "a", None, (2.5, True)], 3: {}}
        save_arrays(path, tree)
        with np.load(path) as z:
            return json.loads(bytes(z["__tree__"]).decode())


GOOD = _good_header()


def _paths(node, here=()):
    """Every path (tuple of keys / indices) to a node of a JSON value."""
    yield here
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, here + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, here + (i,))


def _replace(node, path, new):
    if not path:
        return new
    node = node.copy()
    node[path[0]] = _replace(node[path[0]], path[1:], new)
    return node


@st.composite
def mutated_headers(draw):
    """GOOD with one structural change at a random place."""
    paths = list(_paths(GOOD))
    path = draw(st.sampled_from(paths))
    how = draw(st.sampled_from(["replace", "drop", "wrap", "unwrap"]))
    target = GOOD
    for k in path:
        target = target[k]
    if how == "replace":
        return _replace(GOOD, path, draw(JSON))
    if how == "wrap":
        return _replace(GOOD, path, [target])
    if how == "unwrap" and isinstance(target, (dict, list)) and target:
        inner = list(target.values())[0] if isinstance(target, dict) else target[0]
        return _replace(GOOD, path, inner)
    if how == "drop" and path:
        container = GOOD
        for k in path[:-1]:
            container = container[k]
        smaller = container.copy()
        if isinstance(smaller, dict):
            del smaller[path[-1]]
        else:
            smaller.pop(path[-1])
        return _replace(GOOD, path[:-1], smaller)
    return _replace(GOOD, path, draw(JSON))


def _plain(x) -> bool:
    if x is None or isinstance(x, (bool, int, float, str, np.ndarray)):
        return True
    if isinstance(x, dict):
        return all(isinstance(k, (str, int)) and _plain(v) for k, v in x.items())
    if isinstance(x, (list, tuple)):
        return all(_plain(v) for v in x)
    return False


@hypothesis.settings(max_examples=300, deadline=None)
@hypothesis.given(header=mutated_headers())
def test_structurally_mutated_headers_load_or_raise_checkpoint_error(header):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "fuzzed.npz")
        text = json.dumps(header).encode()
        with open(path, "wb") as f:
            np.savez(f, __tree__=np.frombuffer(text, np.uint8), a0=np.ones((2, 2), np.float32))
        try:
            tree = load_arrays(path)
        except CheckpointError as e:
            assert "fuzzed.npz" in str(e)
            return
        assert _plain(tree), tree


@pytest.mark.parametrize(
    "header, what",
    [
        ([1, 2], "JSON list"),
        ("duograd-checkpoint", "JSON str"),
        ({"format": "duograd-checkpoint", "version": 1}, "'tree'"),
        ({"format": "duograd-checkpoint", "version": "x", "tree": 1}, "version 'x'"),
        ({"format": "duograd-checkpoint", "version": True, "tree": 1}, "version True"),
        ({"format": "duograd-checkpoint", "version": 1, "tree": {"__array__": 3}}, "array 3"),
        ({"format": "duograd-checkpoint", "version": 1, "tree": {"__array__": "0"}}, "index"),
        ({"format": "duograd-checkpoint", "version": 1, "tree": {"__dict__": 5}}, "JSON int"),
        ({"format": "duograd-checkpoint", "version": 1, "tree": {"__dict__": [[1]]}}, "pair"),
        ({"format": "duograd-checkpoint", "version": 1, "tree": {"__dict__": [[[1], 2]]}}, "key"),
        ({"format": "duograd-checkpoint", "version": 1, "tree": {"__list__": {}}}, "JSON dict"),
        ({"format": "duograd-checkpoint", "version": 1, "tree": {"x": 1}}, "entry kind"),
        ({"format": "duograd-checkpoint", "version": 1, "tree": [1]}, "JSON list"),
    ],
)
def test_each_malformed_header_names_the_file_and_the_fault(tmp_path, header, what):
    path = tmp_path / "bad.npz"
    np.savez(path, __tree__=np.frombuffer(json.dumps(header).encode(), np.uint8), a0=np.ones(2))
    with pytest.raises(CheckpointError, match="bad.npz") as info:
        load_arrays(path)
    assert what in str(info.value)


def test_a_deeply_nested_header_is_refused(tmp_path):
    depth = 100_000  # deeper than any recursion limit
    tree = '{"__list__": [' * depth + "1" + "]}" * depth
    text = '{"format": "duograd-checkpoint", "version": 1, "tree": ' + tree + "}"
    path = tmp_path / "deep.npz"
    np.savez(path, __tree__=np.frombuffer(text.encode(), np.uint8))
    with pytest.raises(CheckpointError, match="deep.npz"):
        load_arrays(path)
