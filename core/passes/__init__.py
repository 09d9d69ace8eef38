"""Graph optimisation passes that never change a bit, run over the plan of one signature.

`optimize` prunes a graph to what the fetches need, then folds constants, merges common
subexpressions, drops identity un-broadcast sums, fuses elementwise groups into one generated
kernel each and runs matmuls with their elementwise epilogue in place. `Options` switches each
pass; `core.executor.Plan` lowers the result, plans its memory and can verify it.
"""

from .driver import optimize
from .options import PASS_NAMES, PLAIN, Options, from_env, resolve
from .program import PlanGraph, PNode, is_random
from .verify import VerifyError

__all__ = [
    "PASS_NAMES", "PLAIN", "Options", "PNode", "PlanGraph", "VerifyError", "from_env",
    "is_random", "optimize", "resolve",
]  # fmt: skip
