"""The parity contract for every primitive, through the two frontends themselves.

Each op-table sample runs once in the eager frontend (tensors, the dispatch hook, the tape,
`backward(gradient)`) and once in the graph frontend (placeholders, build-time shape rules,
`tf.gradients(grad_ys=...)`, `Session.run`). Forward results and the gradient of every
differentiable input must be identical to the bit (np.array_equal on the raw bytes). Random
primitives take part through the shared stream, reseeded identically before each style.
"""

from __future__ import annotations

import duograd.frontends.eager as torch
import duograd.frontends.graph as tf
import numpy as np
import pytest
from duograd.core import random as core_random
from duograd.core.primitives import REGISTRY, bind
from op_table import cases

# random primitives with tensor inputs (dropout masks) too: each style restarts the shared
# stream from the same seed first. Draws without inputs (random_normal, ...) cannot become graph
# nodes through bind; tests/parity/test_random_public_names.py draws every random primitive
# through the public names of both styles.
CASES = [c for c in cases() if not c[0].random or len(c[2].args) > 0]
SEED = 2024


def _diff(prim, args):
    if prim.vjp is None:
        return []
    return [i for i, a in enumerate(args) if i not in prim.nondiff and a.dtype.kind == "f"]


def _eager(prim, args, params, g, diff):
    ts = [torch.tensor(a.copy(), requires_grad=(i in diff)) for i, a in enumerate(args)]
    out = bind(prim, *ts, **params)
    if not isinstance(out, torch.Tensor):  # no tensor inputs (a random draw): plain array out
        return [np.array(out, copy=True)]
    res = [out.detach().numpy().copy()]
    if diff:
        out.backward(torch.tensor(g))
        res += [None if ts[i].grad is None else ts[i].grad.numpy().copy() for i in diff]
    return res


def _graph(prim, args, params, g, diff):
    graph = tf.Graph()
    with graph.as_default():
        phs = [tf.placeholder(a.dtype, a.shape) for a in args]
        out = bind(prim, *phs, **params)
        fetches = [out]
        feed = {p: a for p, a in zip(phs, args, strict=True)}
        if diff:
            gp = tf.placeholder(g.dtype, g.shape)
            grads = tf.gradients(out, [phs[i] for i in diff], grad_ys=gp)
            feed[gp] = g
            fetches += [x for x in grads if x is not None]
        with tf.Session(graph=graph) as sess:
            values = sess.run(fetches, feed_dict=feed)
    res = [values[0]]
    if diff:
        it = iter(values[1:])
        res += [None if x is None else next(it) for x in grads]
    return res


@pytest.mark.parametrize("row,dt,sample,_id", CASES, ids=[c[3] for c in CASES])
def test_eager_and_graph_frontends_agree_bitwise(row, dt, sample, _id):
    prim = REGISTRY[row.name]
    args = tuple(np.asarray(a) for a in sample.args)
    out = np.asarray(bind(prim, *args, **sample.params))
    diff = _diff(prim, args) if out.dtype.kind == "f" else []
    g = np.random.default_rng(3).standard_normal(out.shape).astype(out.dtype)
    core_random.manual_seed(SEED)
    eager = _eager(prim, args, sample.params, g, diff)
    core_random.manual_seed(SEED)  # graph programs draw when they run, after this
    graph = _graph(prim, args, sample.params, g, diff)
    if row.random and np.unique(eager[0]).size > 1:  # the draws came from the seeded stream
        core_random.manual_seed(SEED + 1)
        other = _eager(prim, args, sample.params, g, diff)[0]
        assert not np.array_equal(other, eager[0]), "a different seed gave the same draw"
    assert len(eager) == len(graph)
    for k, (e, gr) in enumerate(zip(eager, graph, strict=True)):
        what = "forward" if k == 0 else f"gradient of input {diff[k - 1]}"
        assert (e is None) == (gr is None), f"{what}: only one style produced it"
        if e is None:
            continue
        e, gr = np.asarray(e), np.asarray(gr)
        assert e.shape == gr.shape and e.dtype == gr.dtype, what
        assert e.tobytes() == gr.tobytes(), f"{what} differs: max {np.max(np.abs(e - gr))}"
