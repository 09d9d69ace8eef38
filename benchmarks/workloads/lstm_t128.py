"""The LSTM language-model step of `lstm` at T=128 (4x its steps): shows how time scales in T."""

from __future__ import annotations

from ..programs import both
from ..workload import Case, Workload
from . import lstm as L

L.SHAPES.setdefault("t128", (64, 32, 128, 128, 32))


def cases(quick: bool) -> list[Case]:
    """One case, quick or not: V=64 E=32 H=128 T=128 batch 32."""
    vocab, embed, hidden, steps, batch = L.SHAPES["t128"]
    name = f"LSTM LM V={vocab} E={embed} H={hidden} T={steps} SGD step b={batch}"
    return [Case(name, both(L._graph("t128"), L._eager("t128")), flops=L._flops("t128"),
                 parity_steps=2)]  # fmt: skip


WORKLOAD = Workload("lstm_t128", "The LSTM LM step at T=128 (linear scaling in T)", cases)
