"""The TFRecord pipeline's PyTorch-style twin: the same records read into a `Dataset`, shuffled
by a `DataLoader` (the same order as tf.data's shuffle for the same seed), an MLP trained with
Adam. It ends with the same bits as tfrecord_pipeline_graph.py."""

import os
import tempfile

import _common
import duograd.frontends.eager as torch
import duograd.frontends.graph as tf
import numpy as np
from _digit_records import mlp_init, write_digit_records
from _progress import Progress
from duograd.frontends.eager.utils.data import DataLoader, Dataset

BATCH = 64


class DigitRecords(Dataset):
    """The examples of a TFRecord file of digits, parsed once when the dataset is made."""

    def __init__(self, path: str) -> None:
        rows = [tf.train.Example.FromString(r) for r in tf.python_io.tf_record_iterator(path)]
        feats = [r.features.feature for r in rows]
        self.pixels = np.array([f["pixels"].float_list.value for f in feats], np.float32)
        self.labels = np.array([f["label"].int64_list.value[0] for f in feats], np.int64)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int):
        return self.pixels[i], self.labels[i]


def train(steps: int, quiet: bool = False, folder: str | None = None):
    """Write the records, train from them; return (parameters, losses, test accuracy)."""
    folder = folder or tempfile.mkdtemp(prefix="digits-records-")
    path = os.path.join(folder, "digits.tfrecord")
    x_test, y_test = write_digit_records(path)
    nn = torch.nn
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    with torch.no_grad():
        for p, v in zip(model.parameters(), mlp_init(), strict=True):
            p.copy_(torch.from_numpy(v))
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    torch.manual_seed(0)  # the shuffling order
    loader = DataLoader(DigitRecords(path), batch_size=BATCH, shuffle=True)
    losses = []
    progress = Progress(steps, quiet)
    while len(losses) < steps:
        for x, y in loader:
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
            progress.update(len(losses) - 1, losses[-1])
            if len(losses) == steps:
                break
    with torch.no_grad():
        pred = model(torch.from_numpy(x_test)).argmax(1).numpy()
    acc = float((pred == y_test).mean())
    return [p.detach().numpy().copy() for p in model.parameters()], losses, acc


if __name__ == "__main__":
    args = _common.parse(__doc__, 200)
    params, losses, acc = train(args.steps, args.quiet)
    print(f"eager: loss {losses[-1]:.4f}, test accuracy {acc:.3f}")
