"""``torch.optim``: optimizers whose updates run the shared fused kernels, and lr schedules."""

from __future__ import annotations

from . import lr_scheduler
from .algorithms import SGD, Adam, AdamW, RMSprop
from .optimizer import Optimizer

__all__ = ["SGD", "Adam", "AdamW", "Optimizer", "RMSprop", "lr_scheduler"]
