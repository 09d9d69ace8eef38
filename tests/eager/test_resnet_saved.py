"""What the ResNet-8's eager tape keeps for backward, node by node, and when it lets go.

Each gradient rule of the network (conv, training BatchNorm, ReLU, residual add, global pool,
linear, cross-entropy) keeps only the arrays its VJP reads: a conv its input and filter, a
BatchNorm its input (the conv's output) and per-channel statistics, a ReLU its output. The
backward sweep frees each node's arrays as soon as its VJP has run, unless retain_graph=True.
"""

from __future__ import annotations

import gc
import weakref

import duograd.frontends.eager as torch
import numpy as np
import pytest
from duograd.benchmarks.workloads import resnet
from duograd.frontends.eager import tape

# primitive -> (operand indexes kept as large arrays, output kept) on the ResNet's tape; "large"
# means at least tape.STUB_MIN elements (smaller arrays are never replaced by stand-ins)
KEPT = {
    "conv2d": ((0, 1), False),  # input (filter gradient) and filter (input gradient)
    "batch_norm_stats": ((0,), False),  # the conv's output; its (3, C) statistics are small
    "batch_norm_apply": ((0,), False),  # the same conv output, plus small statistics and scale
    "relu": ((), True),  # the activation, never the pre-activation
    "add": ((), False),  # the residual add reads neither operand
    "mean": ((), False),  # global average pooling reads only the shape
    "reshape": ((), False),
    "matmul": ((0, 1), False),  # the linear layer's input and weight
    "log_softmax": ((), False),  # its (N, 10) output is small; kept (read) but under STUB_MIN
    "pick": ((), False),  # the labels are small
    "neg": ((), False),
}


def _large(a) -> bool:
    """An array that owns memory (a stand-in has zero strides) and is at least STUB_MIN big."""
    return isinstance(a, np.ndarray) and a.size >= tape.STUB_MIN and all(s != 0 for s in a.strides)


def _forward(model=None, batch: int = 4, size: int = 16, pre=None):
    """(model, loss, [(module, weak ref to its output array)]) for one forward on fresh data."""
    if model is None:
        model, _ = resnet.eager_model(torch, resnet.init_params())
    rng = np.random.default_rng(size)
    x = rng.uniform(0, 1, (batch, 3, size, size)).astype(np.float32)
    y = rng.integers(0, resnet.CLASSES, batch).astype(np.int64)
    acts = []

    def keep(mod, inp, out):
        acts.append((mod, weakref.ref(out._data)))

    handles = [
        m.register_forward_hook(keep)
        for m in model.modules()
        if isinstance(m, (torch.nn.Conv2d, torch.nn.ReLU))
    ]
    if pre is not None:
        handles.append(model.blocks[2].register_forward_pre_hook(pre))
    loss = torch.nn.CrossEntropyLoss()(model(torch.from_numpy(x)), torch.from_numpy(y))
    for h in handles:
        h.remove()
    return model, loss, acts


def test_each_rule_keeps_only_what_its_gradient_reads():
    _, loss, _ = _forward()
    nodes, _ = tape.collect([loss.grad_fn])
    assert {n.prim.name for n in nodes} <= set(KEPT)
    for n in nodes:
        kept = tuple(i for i, a in enumerate(n.inputs) if _large(a)), _large(n.output)
        assert kept == KEPT[n.prim.name], n.prim.name


def test_saved_bytes_are_the_conv_outputs_and_activations():
    _, loss, _ = _forward(batch=4, size=16)
    nodes, _ = tape.collect([loss.grad_fn])
    held = {}
    for n in nodes:
        for a in (*n.inputs, n.output):
            if _large(a):
                base = a if a.base is None else a.base
                held[id(base)] = base.nbytes
    # 16x16 input: stem + stage 0 at 16x16x16, stage 1 at 8x8x32, stage 2 at 4x4x64 (batch 4)
    per_image = {16: 16 * 16 * 16, 32: 8 * 8 * 32, 64: 4 * 4 * 64}
    convs = 3 * per_image[16] + 3 * per_image[32] + 3 * per_image[64]  # BN inputs
    relus = 3 * per_image[16] + 2 * per_image[32] + 2 * per_image[64]  # stem, a and out per block
    image = 3 * 16 * 16
    filters = sum(cout * cin * k * k for _, cin, cout, k, _ in resnet.convs()) * 4
    fc = 4 * 64 * 4 + 10 * 64 * 4  # the linear layer's input and weight
    assert sum(held.values()) == (convs + relus + image) * 4 * 4 + filters + fc


@pytest.mark.parametrize("retain", [False, True])
def test_backward_frees_each_stage_once_swept(retain):
    stage2_in = []
    model, loss, acts = _forward(pre=lambda mod, inp: stage2_in.append(inp[0]))
    gc.collect()
    assert all(r() is not None for _, r in acts)  # the tape holds every activation until backward
    late = {id(m) for m in model.blocks[2].modules()}
    seen = []

    def check(grad):
        # stage 2's input cotangent is ready: stage 2, the pool and the head have been swept
        gc.collect()
        seen.append([(id(m) in late, r() is None) for m, r in acts])

    stage2_in[0].register_hook(check)
    held = stage2_in.pop()._data  # block 1's output: its ReLU node and stage 2's convs read it
    loss.backward(retain_graph=retain)
    gc.collect()  # loss (and so the tape) is still alive: only the sweep can have freed arrays
    assert len(seen) == 1
    assert all(dead == (is_late and not retain) for is_late, dead in seen[0])
    assert all((r() is None) != retain for _, r in acts if r() is not held)
    if retain:  # a second sweep over the kept tape gives the same gradients
        first = [p.grad.numpy().copy() for p in model.parameters()]
        model.zero_grad()
        loss.backward()
        for g, p in zip(first, model.parameters(), strict=True):
            np.testing.assert_array_equal(p.grad.numpy(), g)
