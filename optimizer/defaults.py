"""Defaults shared by the library and the command line, in a module that imports nothing heavy.

(The command line declares its options from these before it loads pandas or a solver.)
"""

from __future__ import annotations

SOLVERS: tuple[str, ...] = ("cbc", "highs")
# Relative gap at which the solver may stop. Zero means "prove optimality": at HiGHS's own default
# (1e-4) some published knapsack optima come back slightly sub-optimal (../shared/data/README.md).
# The solvers still stop at an absolute gap of 1e-6 (HiGHS's mip_abs_gap default; CBC's is smaller).
DEFAULT_GAP = 0.0
# Above this many eligible creators, prove most of them out before the MIP (optimizer/reduce.py).
REDUCE_ABOVE = 3000
# niche labels of `roster generate` pools
DEFAULT_NICHES: tuple[str, ...] = (
    "sustainable-fashion", "zero-waste", "beauty", "fitness", "food", "travel", "parenting", "tech",
)  # fmt: skip
