"""Per-op dispatch overhead on 4x4 tensors: one op, a 10-op chain, forward + backward."""

from __future__ import annotations

from ..programs import data, eager_columns, graph_columns, session
from ..workload import Case, Workload

X, W, B = data(4, (4, 4), (4, 4), (4, 4))


def _chain(ops_module, x, w, b):
    """Ten elementwise/matmul ops; written against a module with PyTorch- or TF-style names."""
    y = x * w
    y = y + b
    y = ops_module.tanh(y)
    y = y - x
    y = y * y
    y = ops_module.sigmoid(y)
    y = y + w
    y = ops_module.matmul(y, w)
    y = ops_module.exp(y * 0.1)
    return y / b


# One op in each form the per-op overhead depends on: tensor (op) tensor, tensor (op) Python
# number (the number becomes a 0-d array of the tensor's dtype), and a unary math function.
_ONE_OPS = {
    "a+b": lambda m, x, b: x + b,
    "a*2.0": lambda m, x, b: x * 2.0,
    "exp(a)": lambda m, x, b: m.exp(x),
}


def _eager_one(grad, op="a+b"):
    def build(torch):
        x = torch.tensor(X, requires_grad=grad)
        b = torch.tensor(B)
        f = _ONE_OPS[op]
        return lambda: f(torch, x, b)

    return build


def _graph_one(op="a+b"):
    def build(tf):
        graph, sess = session(tf)
        with graph.as_default():
            x, b = tf.Variable(X), tf.Variable(B)
            y = _ONE_OPS[op](tf, x, b)
            sess.run(tf.global_variables_initializer())
        return lambda: sess.run(y)

    return build


def _eager_chain(torch):
    x, w, b = (torch.tensor(a) for a in (X, W, B))
    return lambda: _chain(torch, x, w, b)


def _graph_chain(tf):
    graph, sess = session(tf)
    with graph.as_default():
        # variables, not constants, so no optimiser can fold the chain away
        x, w, b = (tf.Variable(a) for a in (X, W, B))
        y = _chain(tf, x, w, b)
        sess.run(tf.global_variables_initializer())
    return lambda: sess.run(y)


def _eager_backward(torch):
    x = torch.tensor(X, requires_grad=True)
    w = torch.tensor(W, requires_grad=True)
    b = torch.tensor(B)

    def step():
        x.grad = None
        w.grad = None
        loss = _chain(torch, x, w, b).sum()
        loss.backward()
        return x.grad.numpy(), w.grad.numpy()

    return step


def _graph_backward(tf):
    graph, sess = session(tf)
    with graph.as_default():
        x = tf.Variable(X)
        w = tf.Variable(W)
        b = tf.constant(B)
        loss = tf.reduce_sum(_chain(tf, x, w, b))
        grads = tf.gradients(loss, [x, w])
        sess.run(tf.global_variables_initializer())
    return lambda: sess.run(grads)


def cases(quick: bool) -> list[Case]:
    """One op (with and without autograd recording), a 10-op chain, forward+backward."""
    one = [
        Case(
            f"4x4 one op ({op})",
            {**graph_columns(_graph_one(op)), **eager_columns(_eager_one(False, op))},
            parity_steps=1,
        )
        for op in _ONE_OPS
    ]
    recording = [
        Case(f"4x4 one op ({op}), recording autograd", eager_columns(_eager_one(True, op)))
        for op in _ONE_OPS
    ]
    return [
        *one,
        *recording,
        Case(
            "4x4 10-op chain forward",
            {**graph_columns(_graph_chain), **eager_columns(_eager_chain)},
        ),
        Case(
            "4x4 10-op forward+backward",
            {**graph_columns(_graph_backward), **eager_columns(_eager_backward)},
        ),
    ]


WORKLOAD = Workload("overhead", "per-op dispatch overhead on 4x4 tensors", cases)
