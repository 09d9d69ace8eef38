"""Autograd: the tape, backward/grad, accumulation, grad modes and the error cases."""

from __future__ import annotations

import duograd.frontends.eager as torch
import numpy as np
import pytest


def test_backward_gives_analytic_gradients():
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
    loss = (x * w).sum() + (x**2).sum()
    loss.backward()
    assert x.grad.tolist() == [2.5, 3.0, 8.0]  # w + 2x
    assert w.grad.tolist() == [1.0, 2.0, 3.0]
    assert x.grad.dtype == torch.float32 and x.grad.requires_grad is False


def test_grads_accumulate_and_do_not_alias():
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    b = torch.tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()  # the add rule hands one cotangent array to both inputs
    a.grad.add_(10)
    assert b.grad.tolist() == [1.0, 1.0]
    held = b.grad
    (a * b).sum().backward()
    assert a.grad.tolist() == [14.0, 15.0]
    assert b.grad is held and held.tolist() == [2.0, 3.0]


def test_same_tensor_used_twice():
    x = torch.tensor([3.0], requires_grad=True)
    y = x * x + x
    y.backward()
    assert x.grad.tolist() == [7.0]


def test_broadcast_gradients_are_unbroadcast():
    x = torch.ones(3, 4, requires_grad=True)
    b = torch.ones(4, requires_grad=True)
    s = torch.tensor(2.0, requires_grad=True)
    ((x + b) * s).sum().backward()
    assert b.grad.shape == (4,) and b.grad.tolist() == [6.0] * 4
    assert s.grad.shape == () and s.grad.item() == 24.0


def test_backward_with_explicit_gradient():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.backward(torch.tensor([1.0, 0.5]))
    assert x.grad.tolist() == [3.0, 1.5]


def test_non_scalar_backward_without_gradient_raises():
    x = torch.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar"):
        (x * 2).backward()


def test_gradient_of_the_wrong_shape_raises():
    x = torch.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Mismatch in shape.*\(2,\).*\(3,\)"):
        (x * 2).backward(torch.ones(2))


def test_second_backward_through_freed_graph_raises():
    x = torch.ones(2, requires_grad=True)
    loss = (x * x).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        loss.backward()


def test_retain_graph_allows_a_second_backward():
    x = torch.ones(2, requires_grad=True)
    loss = (x * x).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    assert x.grad.tolist() == [4.0, 4.0]


def test_backward_on_a_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        torch.ones(2).sum().backward()


def test_inplace_change_of_a_saved_output_is_detected():
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    s = a.sigmoid()
    s.mul_(2)
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation.*SigmoidBackward0"):
        s.sum().backward()


def test_inplace_change_of_a_saved_input_is_detected():
    w = torch.tensor([1.0, 2.0])
    x = torch.tensor([3.0, 4.0], requires_grad=True)
    loss = (x * w).sum()
    w.add_(1)
    with pytest.raises(
        RuntimeError, match=r"input 1 of MulBackward0.*version 1; expected version 0"
    ):
        loss.backward()


def test_inplace_change_through_a_view_is_detected():
    w = torch.tensor([[1.0, 2.0]])
    x = torch.tensor([3.0, 4.0], requires_grad=True)
    loss = (x * w[0]).sum()
    w.view(2)[0] = 5.0
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


def test_inplace_change_of_a_value_only_its_shape_was_needed_is_fine():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    z = y + 1  # add reads only shapes
    y.add_(5)
    z.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]


def test_recorded_inplace_ops_carry_gradients():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.mul_(x)  # y = 2x * x
    y.add_(x, alpha=3)
    assert y.grad_fn is not None and not y.is_leaf
    y.sum().backward()
    assert x.grad.tolist() == [4 * 1.0 + 3, 4 * 2.0 + 3]


def test_inplace_on_a_leaf_that_requires_grad_raises_outside_no_grad():
    w = torch.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w.add_(1)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w[0] = 3.0
    with torch.no_grad():
        w.sub_(0.5)
        w[1] = 3.0
    assert w.tolist() == [0.5, 3.0] and w.requires_grad


def test_setitem_with_grad_builds_the_gradient():
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    h = x * 2
    h[1] = 0.0
    h.sum().backward()
    assert x.grad.tolist() == [2.0, 0.0, 2.0]
    v = torch.tensor(5.0, requires_grad=True)
    out = torch.zeros(3)
    out[2] = v * 2
    out.sum().backward()
    assert v.grad.item() == 2.0


def test_no_grad_enable_grad_and_set_grad_enabled():
    x = torch.ones(2, requires_grad=True)
    with torch.no_grad():
        assert not torch.is_grad_enabled()
        y = x * 2
        with torch.enable_grad():
            z = x * 2
    assert not y.requires_grad and y.grad_fn is None and z.requires_grad

    @torch.no_grad()
    def f(t):
        return t * 2

    assert not f(x).requires_grad and torch.is_grad_enabled()
    with torch.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert torch.is_grad_enabled()
    torch.set_grad_enabled(False)
    assert not torch.is_grad_enabled()
    torch.set_grad_enabled(True)


def test_detach_and_requires_grad_rules():
    x = torch.ones(2, requires_grad=True)
    d = (x * 2).detach()
    assert not d.requires_grad and d.is_leaf
    with pytest.raises(RuntimeError, match="floating point"):
        torch.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        torch.tensor([1, 2]).requires_grad_()
    with pytest.raises(RuntimeError, match="leaf variables"):
        (x * 2).requires_grad = False
    y = torch.zeros(2).requires_grad_()
    assert y.requires_grad and y.is_leaf


def test_argmax_and_comparisons_do_not_carry_gradients():
    x = torch.tensor([1.0, 3.0, 2.0], requires_grad=True)
    i = x.argmax()
    assert not i.requires_grad and i.item() == 1
    assert not (x > 1).requires_grad
    (x[i] * 2).backward()
    assert x.grad.tolist() == [0.0, 2.0, 0.0]


def test_retain_grad_keeps_a_non_leaf_gradient():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.retain_grad()
    z = (y * y).sum()
    z.backward()
    assert y.retains_grad and y.grad.tolist() == [6.0, 12.0]
    assert x.grad.tolist() == [18.0, 36.0]


def test_non_leaf_grad_access_warns():
    x = torch.ones(1, requires_grad=True)
    y = x * 2
    with pytest.warns(UserWarning, match="not a leaf"):
        assert y.grad is None


def test_grad_fn_names_and_next_functions():
    x = torch.ones(2, requires_grad=True)
    y = (x * 2).log_softmax(0)
    assert y.grad_fn.name() == "LogSoftmaxBackward0"
    ((prev, _),) = y.grad_fn.next_functions
    assert prev.name() == "MulBackward0"
    assert prev.next_functions[0][0].name() == "torch::autograd::AccumulateGrad"


def test_autograd_grad_returns_without_touching_grad():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    w = torch.tensor([3.0], requires_grad=True)
    y = (x**3).sum() * w
    gx, gw = torch.autograd.grad(y, [x, w])
    assert gx.tolist() == [9.0, 36.0] and gw.tolist() == [9.0]
    assert x.grad is None and w.grad is None


def test_autograd_grad_unused_inputs():
    x = torch.ones(2, requires_grad=True)
    u = torch.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="allow_unused=True"):
        torch.autograd.grad((x * 2).sum(), [x, u])
    gx, gu = torch.autograd.grad((x * 2).sum(), [x, u], allow_unused=True)
    assert gu is None and gx.tolist() == [2.0, 2.0]


def test_autograd_grad_with_grad_outputs_and_non_leaf_inputs():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    y = h * h
    (gh,) = torch.autograd.grad(y, h, grad_outputs=torch.tensor([1.0, 0.1]))
    assert np.allclose(gh.numpy(), [4.0, 0.8])


def test_gradients_through_shape_ops_and_indexing():
    x = torch.arange(6.0).reshape(2, 3).requires_grad_()
    y = x.t().reshape(6)[::2].sum() + x.permute(1, 0)[0].sum() + x.unsqueeze(0).squeeze(0)[1, 2]
    y.backward()
    grad = np.zeros((2, 3))
    for k in (0, 2, 4):  # entry k of x.t().reshape(6) is x[k % 2, k // 2]
        grad[k % 2, k // 2] += 1
    grad[:, 0] += 1
    grad[1, 2] += 1
    assert np.array_equal(x.grad.numpy(), grad)


def test_gradients_through_cat_stack_where_and_max():
    a = torch.tensor([1.0, 5.0], requires_grad=True)
    b = torch.tensor([3.0], requires_grad=True)
    c = torch.cat([a, b])
    s = torch.stack([c, c * 2]).sum(0)
    w = torch.where(s > 4, s, torch.zeros(3))
    m = w.max()
    m.backward()
    assert a.grad.tolist() == [0.0, 3.0] and b.grad.tolist() == [0.0]


class ScaledProduct(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a, b, scale):
        ctx.save_for_backward(a, b)
        ctx.scale = scale
        return a * b * scale

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return g * b * ctx.scale, g * a * ctx.scale, None


def test_custom_function_gradients_and_checks():
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    b = torch.tensor([3.0, 4.0])
    out = ScaledProduct.apply(a, b, 2.0)
    assert out.grad_fn.name() == "ScaledProductBackward"
    out.sum().backward()
    assert a.grad.tolist() == [6.0, 8.0] and b.grad is None
    with torch.no_grad():
        assert ScaledProduct.apply(a, b, 2.0).grad_fn is None
    out = ScaledProduct.apply(a, b, 1.0)
    b.add_(1)  # saved with save_for_backward, then changed
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()
