"""Monte Carlo of a chosen roster: how its outcome is spread, not just its expected value.

`simulate` draws the roster's joint outcomes with the seeded sampler (`optimizer.uncertainty`), applies the
pairwise overlap discount draw by draw (`optimizer.verify.draw_values`), and summarises every figure finance
reads (conversions, EMV, engagements, reach, spend, CPA, ROI) as mean and P10/P50/P90, with the probability of
meeting the scenario's target or a CPA target. Same seed, same numbers. `roster simulate RESULT_DIR` runs it on
a result that passes the audit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from optimizer.errors import InputError
from optimizer.forecast import UNITS
from optimizer.formatting import money, num, pct
from optimizer.problem import Problem
from optimizer.uncertainty import METRICS, creator_params, sample
from optimizer.verify import draw_values

# draws x creators held at once: about a dozen float matrices of this size live during a simulation (~1 GB here)
MAX_DRAW_CELLS = 10_000_000
QUANTILES = {"p10": 0.1, "p50": 0.5, "p90": 0.9}


def summarise(values: np.ndarray) -> dict[str, Any]:
    """Mean and P10/P50/P90 of the finite values; ``undefined_draws`` counts the others (e.g. CPA with no sale).

    Examples
    --------
    >>> summarise(np.array([1.0, 2.0, 3.0, np.nan]))
    {'mean': 2.0, 'p10': 1.2, 'p50': 2.0, 'p90': 2.8, 'undefined_draws': 1}
    """
    ok = np.isfinite(values)
    out: dict[str, Any] = {"mean": None, **dict.fromkeys(QUANTILES)}
    if ok.any():
        kept = values[ok]
        out["mean"] = float(kept.mean())
        for name, q in zip(QUANTILES, np.quantile(kept, list(QUANTILES.values()))):
            out[name] = float(q)
    if not ok.all():
        out["undefined_draws"] = int((~ok).sum())
    return out


@dataclass
class Simulation:
    """What the draws say about one roster.

    Attributes
    ----------
    draws, seed : int
    objective : str
        The scenario's value metric (the one the optimiser counted).
    metrics : dict
        Per figure, ``mean``, ``p10``, ``p50``, ``p90`` (and ``undefined_draws`` when some draws have no value).
    targets : list of dict
        Each target with the share of draws meeting it (``probability``).
    per_draw : dict
        The per-draw values of every figure (for charts), not written to JSON.
    """

    draws: int
    seed: int
    scenario: str
    objective: str
    currency: str
    roster_size: int
    overlap_discount: bool
    metrics: dict[str, dict[str, Any]]
    targets: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    per_draw: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object `roster simulate --json` prints."""
        cur = self.currency
        units = {m: UNITS[m] for m in METRICS}
        units.update({"spend": f"{cur} paid (a no-show is not paid)", "cpa": f"{cur} spent per conversion",
                      "roi": "(revenue - spend) / spend"})  # fmt: skip
        return {"draws": self.draws, "seed": self.seed, "scenario": self.scenario, "objective": self.objective,
                "roster_size": self.roster_size, "overlap_discount": self.overlap_discount,
                "metrics": self.metrics, "units": {k: units[k] for k in self.metrics},
                "targets": self.targets, "notes": self.notes}  # fmt: skip


def simulate(
    problem: Problem, roster: dict[str, int], draws: int = 10_000, seed: int = 0, target_cpa: float | None = None
) -> Simulation:
    """Draw a roster's outcomes and summarise them.

    Parameters
    ----------
    problem : Problem
        The campaign (forecast, spreads, overlap policy and average order value).
    roster : dict
        Creator id -> posts.
    draws : int
    seed : int
        Same seed, same roster -> the same output.
    target_cpa : float, optional
        Also report the share of draws whose CPA is at most this (a draw with no conversion misses it).

    Returns
    -------
    Simulation

    Raises
    ------
    InputError
        If the roster is empty or draws x creators exceeds `MAX_DRAW_CELLS`.
    """
    if not roster:
        raise InputError("the result has no roster to simulate")
    if draws < 1 or draws * len(roster) > MAX_DRAW_CELLS:
        raise InputError(f"--draws {draws:,} x {len(roster)} creators: keep draws >= 1 and draws x creators at most "
                         f"{MAX_DRAW_CELLS:,} (about 1 GB of memory)")  # fmt: skip
    sc = problem.scenario
    d = sample(creator_params(problem), roster, draws, seed)
    per: dict[str, np.ndarray] = {m: draw_values(problem, d, roster, m) for m in METRICS}
    spend = d.spend.sum(axis=1)
    per["spend"] = spend
    conversions = per["conversions"]
    with np.errstate(invalid="ignore", divide="ignore"):
        per["cpa"] = np.where(conversions > 0, spend / conversions, np.nan)
        aov = sc.assumptions.average_order_value
        if aov:
            per["roi"] = np.where(spend > 0, (conversions * aov - spend) / spend, np.nan)
    metrics = {name: summarise(values) for name, values in per.items()}
    total_conversions = float(conversions.sum())
    metrics["cpa"]["ratio_of_means"] = float(spend.sum()) / total_conversions if total_conversions > 0 else None
    targets = []
    if sc.target is not None:
        hit = per[sc.target.metric] >= sc.target.value
        targets.append({"target": f"{sc.target.metric} >= {sc.target.value:g}", "metric": sc.target.metric,
                        "value": sc.target.value, "probability": float(hit.mean())})  # fmt: skip
    if target_cpa is not None:
        hit = np.nan_to_num(per["cpa"], nan=math.inf) <= target_cpa
        targets.append({"target": f"cpa <= {target_cpa:g}", "metric": "cpa", "value": target_cpa,
                        "probability": float(hit.mean())})  # fmt: skip
    notes = list(d.notes)
    if sc.overlap_policy.discount:
        notes.append("The pairwise overlap discount is applied in every draw, with each creator's drawn first-post "
                     "value (a no-show shares no audience).")  # fmt: skip
    if "undefined_draws" in metrics["cpa"]:
        notes.append(f"CPA is undefined in {metrics['cpa']['undefined_draws']:,} draw(s) without a conversion: left "
                     "out of its mean and percentiles, and counted as missing a CPA target.")  # fmt: skip
    return Simulation(draws, seed, sc.name, sc.value_metric, sc.currency, len(roster), sc.overlap_policy.discount,
                      metrics, targets, notes, per)  # fmt: skip


def simulation_text(sim: Simulation) -> str:
    """What `roster simulate` prints: one line per figure, the targets and the notes."""
    cur = sim.currency
    lines = [f"{sim.scenario}: {sim.draws:,} draws (seed {sim.seed}) of the {sim.roster_size}-creator roster",
             f"  {'figure':<12} {'mean':>14} {'P10':>14} {'P50':>14} {'P90':>14}"]  # fmt: skip
    for name, s in sim.metrics.items():
        if name in ("spend", "cpa", "emv"):
            cells = [money(s[k], cur) for k in ("mean", *QUANTILES)]
        elif name == "roi":
            cells = [pct(s[k]) for k in ("mean", *QUANTILES)]
        else:
            cells = [num(s[k], 1) for k in ("mean", *QUANTILES)]
        label = f"{name}*" if name == sim.objective else name
        lines.append(f"  {label:<12} " + " ".join(f"{c:>14}" for c in cells))
    lines.append("  (* the objective; conversions, EMV, engagements and reach after the overlap discount per draw)"
                 if sim.overlap_discount else "  (* the objective)")  # fmt: skip
    for t in sim.targets:
        lines.append(f"  P({t['target']}) = {t['probability']:.1%}")
    for note in sim.notes:
        lines.append(f"  Note: {note}")
    return "\n".join(lines)
