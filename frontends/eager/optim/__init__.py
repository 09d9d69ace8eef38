"""``torch.optim``: optimizers whose updates run the shared fused kernels, and lr schedules."""

from __future__ import annotations

from . import lr_scheduler
from .algorithms import SGD, Adam, AdamW, RMSprop
from .optimizer import Optimizer

__all__ = ["SGD", "Adam", "AdamW", "Optimizer", "RMSprop", "lr_scheduler"]

# A name this module does not provide raises NotImplementedError naming it (see missing.py).
from ..missing import module_getattr  # noqa: E402
from .extra_algorithms import *  # noqa: E402, F403  (more optimizers: see extra_algorithms.py)
from .more2 import ASGD  # noqa: E402, F401
from .more_algorithms import *  # noqa: E402, F403  (NAdam, RAdam, Rprop: see more_algorithms.py)

__getattr__ = module_getattr("torch.optim", globals())
from . import swa_utils  # noqa: E402, F401
from .adafactor import Adafactor  # noqa: E402, F401
from .muon import Muon  # noqa: E402, F401
from .sparse_adam import SparseAdam  # noqa: E402, F401
