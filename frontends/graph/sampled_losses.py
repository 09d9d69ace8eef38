"""Candidate sampling and the sampled losses of word2vec-style programs: `tf.nn.nce_loss`,
`tf.nn.sampled_softmax_loss`, the log-uniform / uniform candidate samplers, and
`tf.nn.batch_norm_with_global_normalization`."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...core.primitives.registry import AVal
from . import array_ops as A
from . import math_ops as M
from . import nn
from .control_flow_more import _loop_node
from .convert import convert_to_tensor
from .graph import graph_of
from .nn_extra import _tensor

_FLOAT_MAX = float(np.finfo(np.float32).max)


def _rng(seed: Any, g) -> np.random.Generator:
    graph_seed = getattr(g, "seed", None)
    if seed is None and graph_seed is None:
        return np.random.default_rng()
    # one stream per sampler, reproducible under tf.set_random_seed / an op seed
    return np.random.default_rng([int(graph_seed or 0), int(seed or 0), len(g.nodes)])


def _sampler(kind: str, true_classes, num_true, num_sampled, unique, range_max, seed, name):
    labels = _tensor(true_classes)
    g = graph_of([labels])
    num_true, num_sampled, range_max = int(num_true), int(num_sampled), int(range_max)
    if unique and num_sampled > range_max:
        raise ValueError(
            f"{kind}_candidate_sampler: cannot draw {num_sampled} unique classes out of {range_max}"
        )
    rng = _rng(seed, g)
    if kind == "log_uniform":
        log_range = np.log(range_max + 1.0)

        def prob(k):
            k = np.asarray(k, np.float64)
            return (np.log(k + 2.0) - np.log(k + 1.0)) / log_range

        def draw(n):
            v = np.exp(rng.uniform(size=n) * log_range).astype(np.int64) - 1
            return np.minimum(v, range_max - 1)
    else:

        def prob(k):
            return np.full(np.shape(k), 1.0 / range_max)

        def draw(n):
            return rng.integers(0, range_max, size=n)

    def run(state, true):
        if unique:
            picked: list[int] = []
            seen: set[int] = set()
            tries = 0
            while len(picked) < num_sampled:
                c = int(draw(1)[0])
                tries += 1
                if c not in seen:
                    seen.add(c)
                    picked.append(c)
            sampled = np.array(picked, np.int64)

            def expected(k):
                return -np.expm1(tries * np.log1p(-prob(k)))
        else:
            sampled = draw(num_sampled).astype(np.int64)

            def expected(k):
                return prob(k) * num_sampled

        return [
            sampled,
            expected(true).astype(np.float32),
            expected(sampled).astype(np.float32),
        ]

    avals = [
        AVal((num_sampled,), np.dtype(np.int64)),
        AVal(tuple(labels.shape), np.dtype(np.float32)),
        AVal((num_sampled,), np.dtype(np.float32)),
    ]
    with g.name_scope(name or f"{kind}_candidate_sampler"):
        outs = _loop_node(g, "sampler", [labels], run, avals)
    return tuple(outs)


def log_uniform_candidate_sampler(
    true_classes: Any, num_true: int, num_sampled: int, unique: bool, range_max: int,
    seed: Any = None, name: str | None = None,
) -> tuple:  # fmt: skip
    """(sampled ids, expected counts of the true classes, of the sampled ones) drawn with
    P(k) = log((k + 2) / (k + 1)) / log(range_max + 1) (Zipf-like: ids sorted by frequency)."""
    return _sampler(
        "log_uniform", true_classes, num_true, num_sampled, unique, range_max, seed, name
    )


def uniform_candidate_sampler(
    true_classes: Any, num_true: int, num_sampled: int, unique: bool, range_max: int,
    seed: Any = None, name: str | None = None,
) -> tuple:  # fmt: skip
    """(sampled ids, expected counts of the true classes, of the sampled ones), uniform draws."""
    return _sampler("uniform", true_classes, num_true, num_sampled, unique, range_max, seed, name)


def _sampled_logits(
    weights, biases, labels, inputs, num_sampled, num_classes, num_true, sampled_values,
    subtract_log_q, remove_accidental_hits, name,
):  # fmt: skip
    if isinstance(weights, (list, tuple)):
        if len(weights) != 1:
            raise NotImplementedError(
                "sampled losses: sharded weights (a list of several) are not provided; "
                "concatenate them into one variable"
            )
        weights = weights[0]
    labels = M.cast(_tensor(labels), np.int64)
    if len(labels.shape) != 2:
        raise ValueError(f"sampled losses: labels must be [batch, num_true], got {labels}")
    inputs = _tensor(inputs)
    if sampled_values is None:
        sampled_values = log_uniform_candidate_sampler(
            labels, num_true, num_sampled, True, num_classes
        )
    sampled, true_expected, sampled_expected = (
        v if not isinstance(v, np.ndarray) else convert_to_tensor(v) for v in sampled_values
    )
    sampled = M.cast(A.stop_gradient(sampled), np.int64)
    true_expected = A.stop_gradient(true_expected)
    sampled_expected = A.stop_gradient(sampled_expected)
    dim = weights.shape[1]
    labels_flat = A.reshape(labels, [-1])
    true_w = A.reshape(nn.embedding_lookup(weights, labels_flat), [-1, num_true, dim])
    true_b = A.reshape(A.gather(biases, labels_flat), [-1, num_true])
    sampled_w = nn.embedding_lookup(weights, sampled)
    sampled_b = A.gather(biases, sampled)
    true_logits = M.add(M.reduce_sum(M.multiply(A.expand_dims(inputs, 1), true_w), 2), true_b)
    sampled_logits = M.add(M.matmul(inputs, sampled_w, transpose_b=True), sampled_b)
    if remove_accidental_hits:
        # a sampled class equal to one of the row's true classes gets -FLOAT_MAX added
        hit = M.reduce_any(
            M.equal(A.expand_dims(labels, 2), A.reshape(sampled, [1, 1, -1])), axis=1
        )
        sampled_logits = M.add(
            sampled_logits, M.multiply(M.cast(hit, sampled_logits.dtype), -_FLOAT_MAX)
        )
    if subtract_log_q:
        true_logits = M.subtract(true_logits, M.log(true_expected))
        sampled_logits = M.subtract(sampled_logits, M.log(sampled_expected))
    logits = A.concat([true_logits, sampled_logits], 1)
    targets = A.concat(
        [M.divide(A.ones_like(true_logits), float(num_true)), A.zeros_like(sampled_logits)], 1
    )
    return logits, targets


def nce_loss(
    weights: Any, biases: Any, labels: Any, inputs: Any, num_sampled: int, num_classes: int,
    num_true: int = 1, sampled_values: Any = None, remove_accidental_hits: bool = False,
    partition_strategy: str = "mod", name: str = "nce_loss",
) -> Any:  # fmt: skip
    """Noise-contrastive estimation loss per example: sigmoid cross-entropy of the true class
    against `num_sampled` sampled classes (log-uniform by default)."""
    with graph_of([_tensor(inputs)]).name_scope(name):
        logits, targets = _sampled_logits(
            weights, biases, labels, inputs, num_sampled, num_classes, num_true, sampled_values,
            True, remove_accidental_hits, name,
        )  # fmt: skip
        per = nn.sigmoid_cross_entropy_with_logits(labels=targets, logits=logits)
        return M.reduce_sum(per, 1)


def sampled_softmax_loss(
    weights: Any, biases: Any, labels: Any, inputs: Any, num_sampled: int, num_classes: int,
    num_true: int = 1, sampled_values: Any = None, remove_accidental_hits: bool = True,
    partition_strategy: str = "mod", name: str = "sampled_softmax_loss", seed: Any = None,
) -> Any:  # fmt: skip
    """Softmax cross-entropy over the true class and `num_sampled` sampled classes."""
    with graph_of([_tensor(inputs)]).name_scope(name):
        logits, targets = _sampled_logits(
            weights, biases, labels, inputs, num_sampled, num_classes, num_true, sampled_values,
            True, remove_accidental_hits, name,
        )  # fmt: skip
        return nn.softmax_cross_entropy_with_logits_v2(
            labels=A.stop_gradient(targets), logits=logits
        )


def batch_norm_with_global_normalization(
    t: Any = None, m: Any = None, v: Any = None, beta: Any = None, gamma: Any = None,
    variance_epsilon: float = None, scale_after_normalization: bool = None,
    name: str | None = None, input: Any = None, mean: Any = None, variance: Any = None,  # noqa: A002
) -> Any:  # fmt: skip
    """(t - m) / sqrt(v + eps) * (gamma if scale_after_normalization) + beta."""
    t = t if t is not None else input
    m = m if m is not None else mean
    v = v if v is not None else variance
    if variance_epsilon is None or scale_after_normalization is None:
        raise TypeError(
            "batch_norm_with_global_normalization: variance_epsilon and "
            "scale_after_normalization are required"
        )
    return nn.batch_normalization(
        t, m, v, beta, gamma if scale_after_normalization else None, variance_epsilon, name=name
    )
