"""save/load: round trips of tensors, state dicts and optimizer state; safe and atomic."""

from __future__ import annotations

import os
import pickle
import zipfile

import duograd.frontends.eager as torch
import duograd.frontends.eager.nn as nn
import duograd.frontends.eager.optim as optim
import numpy as np
import pytest
from duograd.core.checkpoint import CheckpointError


def test_tensor_roundtrip(tmp_path):
    t = torch.tensor([[1.5, 2.0]], dtype=torch.float64)
    path = tmp_path / "t.pt"
    torch.save(t, path)
    back = torch.load(path)
    assert isinstance(back, torch.Tensor) and back.dtype == torch.float64
    assert back.tolist() == [[1.5, 2.0]]


def test_model_and_optimizer_checkpoint(tmp_path):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    opt = optim.Adam(model.parameters(), lr=1e-2)
    model(torch.randn(5, 3)).sum().backward()
    opt.step()
    path = str(tmp_path / "ck.pt")
    torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "epoch": 4, "tag": "a"}, path)
    ck = torch.load(path)
    assert ck["epoch"] == 4 and ck["tag"] == "a"
    clone = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    clone.load_state_dict(ck["model"])
    for p, q in zip(model.parameters(), clone.parameters(), strict=True):
        assert np.array_equal(p.detach().numpy(), q.detach().numpy())
    opt2 = optim.Adam(clone.parameters(), lr=0.5)
    opt2.load_state_dict(ck["opt"])
    assert opt2.param_groups[0]["lr"] == 1e-2 and opt2.param_groups[0]["betas"] == (0.9, 0.999)
    first = next(clone.parameters())
    assert opt2.state[first]["step"] == 1
    ref = opt.state[next(model.parameters())]["exp_avg"].numpy()
    assert np.array_equal(opt2.state[first]["exp_avg"].numpy(), ref)


def test_save_is_atomic_and_leaves_no_temporary_files(tmp_path):
    path = tmp_path / "m.pt"
    torch.save({"a": torch.ones(2)}, path)
    torch.save({"a": torch.zeros(2)}, path)
    assert os.listdir(tmp_path) == ["m.pt"]
    assert torch.load(path)["a"].tolist() == [0.0, 0.0]


def test_truncated_and_corrupt_files_raise_naming_the_file(tmp_path):
    path = tmp_path / "bad.pt"
    torch.save({"a": torch.ones(100)}, path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="bad.pt"):
        torch.load(path)
    path.write_bytes(b"not a checkpoint at all")
    with pytest.raises(CheckpointError, match="bad.pt"):
        torch.load(path)
    with pytest.raises(FileNotFoundError, match="missing.pt"):
        torch.load(tmp_path / "missing.pt")


class _Boom:
    def __reduce__(self):
        return (os.system, ("echo should-not-run",))


def test_loading_never_unpickles(tmp_path):
    path = tmp_path / "evil.pt"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("__tree__.npy", b"")
        z.writestr("a0.npy", pickle.dumps(_Boom()))
    with pytest.raises(CheckpointError):
        torch.load(path)


def test_mismatched_checkpoint_is_refused_by_load_state_dict(tmp_path):
    path = tmp_path / "small.pt"
    torch.save(nn.Linear(2, 2).state_dict(), path)
    with pytest.raises(RuntimeError, match="size mismatch for weight"):
        nn.Linear(3, 2).load_state_dict(torch.load(path))


def test_save_refuses_non_files_and_pickles_plain_arrays(tmp_path):
    with pytest.raises(TypeError, match="file path"):
        torch.save(torch.ones(1), 42)
    # numpy arrays are pickled and come back as numpy arrays, with weights_only=False (as torch)
    torch.save({"a": np.ones(2)}, tmp_path / "x.pt")
    with pytest.raises(Exception, match="weights_only"):
        torch.load(tmp_path / "x.pt")
    back = torch.load(tmp_path / "x.pt", weights_only=False)
    assert type(back["a"]) is np.ndarray and back["a"].tolist() == [1.0, 1.0]


def test_zero_dim_tensors_and_buffers_keep_their_shape(tmp_path):
    bn = nn.BatchNorm1d(3)
    bn(torch.randn(4, 3))
    path = tmp_path / "bn.pt"
    torch.save({"bn": bn.state_dict(), "scalar": torch.tensor(2.5)}, path)
    ck = torch.load(path)
    assert ck["scalar"].shape == () and ck["scalar"].item() == 2.5
    other = nn.BatchNorm1d(3)
    other.load_state_dict(ck["bn"])
    assert other.num_batches_tracked.shape == () and other.num_batches_tracked.item() == 1
    assert np.array_equal(other.running_mean.numpy(), bn.running_mean.numpy())


def test_file_objects_round_trip_like_paths(tmp_path):
    import io

    model = nn.Linear(3, 2)
    buf = io.BytesIO()
    torch.save({"model": model.state_dict(), "step": 7}, buf)
    buf.seek(0)
    ck = torch.load(buf)
    assert ck["step"] == 7
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(ck["model"][k].numpy(), v.numpy())
    with open(tmp_path / "f.pt", "wb") as f:
        torch.save(model.state_dict(), f)
    with open(tmp_path / "f.pt", "rb") as f:
        assert set(torch.load(f)) == {"weight", "bias"}


def test_whole_modules_pickle_and_load_only_with_weights_only_false(tmp_path):
    import pickle

    model = nn.Sequential(nn.Linear(3, 2), nn.ReLU())
    torch.save(model, tmp_path / "m.pt")
    with pytest.raises(pickle.UnpicklingError, match="weights_only=False"):
        torch.load(tmp_path / "m.pt")
    again = torch.load(tmp_path / "m.pt", weights_only=False)
    x = torch.randn(4, 3)
    np.testing.assert_array_equal(again(x).detach().numpy(), model(x).detach().numpy())


def test_a_corrupt_file_object_names_itself():
    import io

    buf = io.BytesIO(b"garbage bytes, not a checkpoint")
    buf.name = "upload.pt"
    with pytest.raises(Exception, match="upload.pt"):
        torch.load(buf)
