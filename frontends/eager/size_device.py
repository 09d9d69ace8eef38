"""``torch.Size`` and ``torch.device``: shapes that print like PyTorch's, and the one device."""

from __future__ import annotations


class Size(tuple):
    """A tensor shape: a tuple that prints as ``torch.Size([2, 3])``."""

    def __repr__(self) -> str:
        return f"torch.Size({list(self)})"

    def __getitem__(self, i):  # noqa: ANN001 - an int or a slice, as for a tuple
        try:
            return tuple.__getitem__(self, i)
        except IndexError:
            raise IndexError(
                f"shape: dimension {i} is out of range for {self!r} ({len(self)} dims; "
                f"expected an index in [{-len(self)}, {len(self) - 1}])"
            ) from None

    def numel(self) -> int:
        """Number of elements of a tensor of this shape."""
        n = 1
        for d in self:
            n *= d
        return n


class device:  # noqa: N801 - PyTorch's name
    """The only device there is: the CPU."""

    type = "cpu"
    index = None

    def __init__(self, spec: object = "cpu") -> None:
        check_device(spec)

    def __repr__(self) -> str:
        return "device(type='cpu')"

    def __str__(self) -> str:
        return "cpu"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, device) or other == "cpu"

    def __hash__(self) -> int:
        return hash("cpu")


def check_device(spec: object) -> None:
    """Accept 'cpu' (and device objects); refuse others with a clear message."""
    if spec is None or isinstance(spec, device):
        return
    if isinstance(spec, str) and spec.split(":")[0] == "cpu":
        return
    raise RuntimeError(f"device {spec!r} is not available: duograd runs on the CPU only; use 'cpu'")
