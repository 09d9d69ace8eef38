"""pack_padded_sequence / pad_packed_sequence and nn.LSTM on packed input, against real torch."""

from __future__ import annotations

import duograd.frontends.eager as torch
import numpy as np
import pytest
from duograd.frontends.eager.nn.utils.rnn import (
    PackedSequence,
    pack_padded_sequence,
    pad_packed_sequence,
)

RNG = np.random.default_rng(11)
T, B, I, H = 5, 4, 3, 4


def test_pack_layout_and_round_trip():
    x = RNG.standard_normal((T, B, I)).astype(np.float32)
    lens = [5, 4, 2, 1]
    p = pack_padded_sequence(torch.tensor(x), lens)
    assert isinstance(p, PackedSequence)
    assert p.batch_sizes.tolist() == [4, 3, 2, 2, 1]
    want = np.concatenate([x[t, :n] for t, n in enumerate([4, 3, 2, 2, 1])])
    assert np.array_equal(p.data.numpy(), want)
    back, got_lens = pad_packed_sequence(p, batch_first=True)
    assert got_lens.tolist() == lens
    for b, n in enumerate(lens):
        assert np.array_equal(back.numpy()[b, :n], x[:n, b])
        assert np.all(back.numpy()[b, n:] == 0)


def test_unsorted_lengths_need_enforce_sorted_false():
    x = torch.tensor(np.zeros((T, 3, I), np.float32))
    with pytest.raises(RuntimeError, match="sorted in decreasing order"):
        pack_padded_sequence(x, [2, 5, 3])


@pytest.mark.parametrize("bidirectional", [False, True])
def test_packed_lstm_matches_real_torch(bidirectional):
    real = pytest.importorskip("torch")
    rnn_utils = pytest.importorskip("torch.nn.utils.rnn")
    real.manual_seed(0)
    ref = real.nn.LSTM(I, H, num_layers=2, batch_first=True, bidirectional=bidirectional)
    mine = torch.nn.LSTM(I, H, num_layers=2, batch_first=True, bidirectional=bidirectional)
    mine.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in ref.state_dict().items()})
    x = RNG.standard_normal((B, T, I)).astype(np.float32)
    lens = [3, 5, 1, 4]  # unsorted: enforce_sorted=False

    xr = real.tensor(x, requires_grad=True)
    pr = rnn_utils.pack_padded_sequence(xr, lens, batch_first=True, enforce_sorted=False)
    out_r, (h_r, c_r) = ref(pr)
    pad_r, _ = rnn_utils.pad_packed_sequence(out_r, batch_first=True)
    (pad_r.square().sum() + h_r.sum() + c_r.square().sum()).backward()

    xm = torch.tensor(x, requires_grad=True)
    pm = pack_padded_sequence(xm, lens, batch_first=True, enforce_sorted=False)
    out_m, (h_m, c_m) = mine(pm)
    assert isinstance(out_m, PackedSequence)
    pad_m, lens_m = pad_packed_sequence(out_m, batch_first=True)
    ((pad_m * pad_m).sum() + h_m.sum() + (c_m * c_m).sum()).backward()

    assert lens_m.tolist() == lens
    np.testing.assert_allclose(out_m.data.detach().numpy(), out_r.data.detach().numpy(),
                               rtol=1e-5, atol=1e-6)  # fmt: skip
    for a, b in [(pad_m, pad_r), (h_m, h_r), (c_m, c_r)]:
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(xm.grad.numpy(), xr.grad.numpy(), rtol=1e-4, atol=1e-5)
    named = dict(ref.named_parameters())
    for name, p in mine.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), named[name].grad.numpy(), rtol=1e-4,
                                   atol=1e-5, err_msg=name)  # fmt: skip


def test_tf_layout_gru_takes_packed_input():
    """nn.GRU(layout="tf") runs packed input through gru_tf_seq: each sequence's outputs and
    final state are those of running it alone, bit for bit."""
    gru = torch.nn.GRU(I, H, layout="tf")
    x = RNG.standard_normal((T, 2, I)).astype(np.float32)
    out, h_n = gru(pack_padded_sequence(torch.tensor(x), [5, 3]))
    padded, lens = pad_packed_sequence(out)
    assert list(np.asarray(lens)) == [5, 3]
    for b, n in enumerate([5, 3]):
        alone, h_alone = gru(torch.tensor(x[:n, b : b + 1].copy()))
        assert np.array_equal(padded.detach().numpy()[:n, b], alone.detach().numpy()[:, 0])
        assert not padded.detach().numpy()[n:, b].any()
        assert np.array_equal(h_n.detach().numpy()[:, b], h_alone.detach().numpy()[:, 0])
