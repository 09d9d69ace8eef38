"""utils.data: TensorDataset, DataLoader batching and seeded shuffling, collate, random_split."""

from __future__ import annotations

import duograd.frontends.eager as torch
import numpy as np
import pytest
from duograd.core import random as core_random
from duograd.frontends.eager.utils.data import (
    DataLoader,
    Dataset,
    TensorDataset,
    default_collate,
    random_split,
)


def _data(n=10):
    x = torch.arange(n * 2, dtype=torch.float32).reshape(n, 2)
    y = torch.arange(n)
    return x, y


def test_tensor_dataset_rows():
    x, y = _data()
    ds = TensorDataset(x, y)
    assert len(ds) == 10
    xi, yi = ds[3]
    assert xi.tolist() == [6.0, 7.0] and yi.item() == 3
    with pytest.raises(ValueError, match="Size mismatch"):
        TensorDataset(x, torch.zeros(3))


def test_batches_in_order_with_and_without_drop_last():
    x, y = _data()
    batches = list(DataLoader(TensorDataset(x, y), batch_size=4))
    assert [b[1].tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert batches[0][0].shape == (4, 2) and batches[0][0].dtype == torch.float32
    dl = DataLoader(TensorDataset(x, y), batch_size=4, drop_last=True)
    assert len(dl) == 2 and [b[1].tolist() for b in dl] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert len(DataLoader(TensorDataset(x, y), batch_size=4)) == 3


def test_shuffle_uses_the_seeded_stream():
    x, y = _data()
    dl = DataLoader(TensorDataset(x, y), batch_size=10, shuffle=True)
    torch.manual_seed(42)
    ((_, first),) = list(dl)
    core_random.manual_seed(42)
    assert first.tolist() == core_random.default_generator.permutation(10).tolist()
    ((_, second),) = list(dl)
    assert sorted(second.tolist()) == list(range(10)) and second.tolist() != first.tolist()
    g = torch.Generator().manual_seed(1)
    a = [b[1].tolist() for b in DataLoader(TensorDataset(x, y), 3, shuffle=True, generator=g)]
    g.manual_seed(1)
    b = [b[1].tolist() for b in DataLoader(TensorDataset(x, y), 3, shuffle=True, generator=g)]
    assert a == b


class Squares(Dataset):
    def __len__(self):
        return 5

    def __getitem__(self, i):
        return {"x": np.full(2, i, np.float32), "y": i * i, "w": 0.5}


def test_default_collate_of_custom_samples():
    batch = next(iter(DataLoader(Squares(), batch_size=3)))
    assert batch["x"].shape == (3, 2) and batch["x"].dtype == torch.float32
    assert batch["y"].tolist() == [0, 1, 4] and batch["y"].dtype == torch.int64
    assert batch["w"].dtype == torch.float64
    pairs = default_collate([(torch.ones(2), 1), (torch.zeros(2), 0)])
    assert pairs[0].tolist() == [[1.0, 1.0], [0.0, 0.0]] and pairs[1].tolist() == [1, 0]


def test_random_split():
    x, y = _data()
    a, b = random_split(TensorDataset(x, y), [7, 3])
    assert len(a) == 7 and len(b) == 3
    idx = sorted([a[i][1].item() for i in range(7)] + [b[i][1].item() for i in range(3)])
    assert idx == list(range(10))
    c, d = random_split(TensorDataset(x, y), [0.5, 0.5])
    assert len(c) == 5 and len(d) == 5
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(TensorDataset(x, y), [4, 4])
