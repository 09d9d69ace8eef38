"""DLPack and the numpy array protocols: zero-copy exchange with numpy and real PyTorch."""

import duograd.frontends.eager as torch
import numpy as np
import pytest


def test_numpy_from_dlpack_shares_memory():
    t = torch.arange(6, dtype=torch.float32)
    a = np.from_dlpack(t)
    assert np.shares_memory(a, t.numpy())
    a[2] = 42.0
    assert t[2].item() == 42.0
    assert t.__dlpack_device__() == (1, 0)


def test_from_dlpack_numpy_producer_shares_memory():
    a = np.arange(4, dtype=np.float64)
    t = torch.from_dlpack(a)
    assert t.dtype == torch.float64
    assert np.shares_memory(a, t.numpy())
    t.numpy()[0] = -1.0
    assert a[0] == -1.0
    assert torch.utils.dlpack.from_dlpack(torch.utils.dlpack.to_dlpack(t)).numpy()[0] == -1.0


def test_from_dlpack_rejects_non_producers():
    with pytest.raises(TypeError, match="from_dlpack: expected an object with __dlpack__"):
        torch.from_dlpack([1, 2, 3])


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32"])
def test_real_torch_round_trip_shares_memory(dtype):
    real = pytest.importorskip("torch")
    t = torch.ones(2, 3, dtype=getattr(torch, dtype))
    r = real.from_dlpack(t)
    assert r.data_ptr() == t.numpy().ctypes.data
    assert str(r.dtype) == f"torch.{dtype}"
    r[0, 1] = 7
    assert t[0, 1].item() == 7
    back = torch.from_dlpack(r)
    assert back.numpy().ctypes.data == r.data_ptr()
    back.numpy()[1, 2] = 5
    assert r[1, 2].item() == 5


def test_array_protocol_and_priority():
    t = torch.tensor([1.0, 2.0])
    a = np.asarray(t)
    assert np.shares_memory(a, t.numpy())
    assert np.array(t).dtype == np.float32 and not np.shares_memory(np.array(t), t.numpy())
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    with pytest.raises(ValueError, match="without a copy"):
        t.__array__(np.float64, copy=False)
    # numpy defers to the tensor's reflected operators: the result is a tensor
    out = np.array([10.0, 20.0], dtype=np.float32) + t
    assert isinstance(out, torch.Tensor)
    assert out.tolist() == [11.0, 22.0]


def test_tensor_made_by_real_torch_is_shared_both_ways():
    real = pytest.importorskip("torch")
    r = real.arange(12, dtype=real.float32).reshape(3, 4)
    t = torch.from_dlpack(r)
    assert t.numpy().ctypes.data == r.data_ptr() and tuple(t.shape) == (3, 4)
    t.numpy()[1, 1] = -5.0
    assert r[1, 1].item() == -5.0
    r[2, 3] = 9.0
    assert t[2, 3].item() == 9.0
    # a transposed (strided) view comes across as the same view, not a copy
    rt = r.t()
    tt = torch.from_dlpack(rt)
    assert tuple(tt.shape) == (4, 3) and tt.numpy().ctypes.data == rt.data_ptr()
    assert np.array_equal(tt.numpy(), rt.numpy())


def test_strided_duograd_tensor_goes_out_as_a_view():
    real = pytest.importorskip("torch")
    d = torch.arange(6, dtype=torch.float32).reshape(2, 3).t()
    a = np.from_dlpack(d)
    assert a.shape == (3, 2) and np.shares_memory(a, d.numpy()) and np.array_equal(a, d.numpy())
    r = real.from_dlpack(d)
    assert r.stride() == (1, 3) and np.array_equal(r.numpy(), d.numpy())
    r[0, 1] = 100.0
    assert d[0, 1].item() == 100.0 and a[0, 1] == 100.0


def test_numpy_on_the_left_defers_to_the_tensor():
    t = torch.tensor([1.0, 2.0])
    assert t.__array_priority__ > 0
    a = np.array([10.0, 20.0], dtype=np.float32)
    for got, want in ((a - t, [9.0, 18.0]), (a * t, [10.0, 40.0]), (a / t, [10.0, 10.0])):
        assert isinstance(got, torch.Tensor) and got.tolist() == want
    m = np.eye(2, dtype=np.float32) @ t
    assert isinstance(m, torch.Tensor) and m.tolist() == [1.0, 2.0]
