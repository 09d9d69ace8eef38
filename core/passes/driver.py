"""The pass pipeline: prune, fold, CSE, identity sums, elementwise fusion, reduction prologues,
matmul epilogues.

Order matters: folding first turns constant subgraphs into constants that CSE can then merge;
CSE before fusion so duplicated chains fuse once; identity sums are dropped before fusion so
the elementwise ops around them can meet in one group; a group read only by a row sum then
moves into that sum; matmul epilogues attach to the groups left.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..ir import Graph, Node, Value
from .bn_fold import fold_batch_norms
from .conv_epilogue import fuse_conv_epilogues
from .cse import eliminate_common_subexpressions
from .fold import fold_constants
from .fuse import fuse_elementwise
from .matmul_epilogue import fuse_matmul_epilogues
from .options import Options
from .program import PlanGraph
from .prune import drop_dead, prune
from .reduce_fuse import fuse_reductions
from .sum_fold import fold_identity_sums


def optimize(
    graph: Graph,
    fetches: Sequence[Value],
    feeds: Sequence[Value],
    targets: Sequence[Node],
    options: Options,
) -> PlanGraph:
    """The plan IR of one signature after the passes the options switch on."""
    pg = prune(graph, fetches, feeds, targets)
    if options.fold:
        fold_constants(pg)
    if options.cse:
        eliminate_common_subexpressions(pg)
    if options.sum_fold:
        fold_identity_sums(pg)
    if options.fold_batch_norm:
        fold_batch_norms(pg)
    if options.fuse:
        fuse_elementwise(pg)
        if options.sum_fold:
            fuse_reductions(pg)
        if options.matmul_bias_act:
            fuse_matmul_epilogues(pg)
            fuse_conv_epilogues(pg)
    if options.fold or options.fuse:
        drop_dead(pg)  # what folding and fusion left unread
    return pg
