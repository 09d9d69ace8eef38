"""``torch.utils.data``: datasets, samplers, collation and a DataLoader with worker processes.

Shuffling draws its permutation from the loader's generator or the shared seeded stream
(core.random), so ``manual_seed(s)`` makes batch order reproducible, as it does for weight
initialisation.
"""

from __future__ import annotations

from .collate import default_collate, default_convert
from .dataloader import DataLoader
from .dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    Subset,
    TensorDataset,
    random_split,
)
from .sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)
from .worker import WorkerInfo, get_worker_info

__all__ = [
    "BatchSampler",
    "ChainDataset",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "IterableDataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "WeightedRandomSampler",
    "WorkerInfo",
    "default_collate",
    "default_convert",
    "get_worker_info",
    "random_split",
]

# ``torch.utils.data.distributed`` (importable by that dotted name as well)
import sys as _sys  # noqa: E402

from .. import data_distributed as distributed  # noqa: E402

_sys.modules[__name__ + ".distributed"] = distributed
DistributedSampler = distributed.DistributedSampler

# datapipes: IterDataPipe, functional_datapipe, datapipes.iter (see utils/datapipes_more2.py)
# A name this module does not provide raises NotImplementedError naming it (see missing.py).
from ...missing import module_getattr  # noqa: E402
from ..datapipes_more2 import IterDataPipe, datapipes, functional_datapipe  # noqa: E402, F401

__getattr__ = module_getattr("torch.utils.data", globals())
