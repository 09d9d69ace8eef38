"""duograd.core: numba kernels, the primitives table, the autodiff sweep, the graph IR and executor.

Importing it compiles nothing: kernels compile on first use and are cached on disk.
"""

from . import dtypes, ops
from .errors import DTypeError, ShapeError
from .kernels import threads as _threads
from .primitives import REGISTRY, Primitive, bind

# parallel kernels take turns on numba's workqueue layer, which crashes on concurrent launches
_threads.guard_loaded()

__all__ = ["DTypeError", "Primitive", "REGISTRY", "ShapeError", "bind", "dtypes", "ops"]
