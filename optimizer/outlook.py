"""The report's view of uncertainty: how wide the outcome is, how a risk-aware roster compares, what was calibrated.

`outlook` gathers, for one verified result, what report.html, allocation.xlsx (sheet Uncertainty) and summary.md
show beside the point forecast: the P10-P90 range of each headline figure from a seeded simulation of the
roster (`optimizer.simulate`), the distribution of the objective as a chart, the risk-aware vs expected-value
comparison of a result with a ``risk:`` block (re-measured on the same fresh draws as result.json's ``risk``),
and the calibration summary of a scenario with ``calibration:``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from optimizer.charts import histogram
from optimizer.forecast import UNITS
from optimizer.problem import Problem
from optimizer.simulate import Simulation, simulate

# the report's simulation: fixed, so the same result always gives the same report
REPORT_DRAWS = 10_000
REPORT_SEED = 0
# one post's P10-P90 is exp(+-1.2816 sd) around its median
Z90 = 1.2815515655446004


@dataclass
class Outlook:
    """What the report shows about uncertainty (every figure here is a forecast from stated spreads).

    Attributes
    ----------
    simulation : Simulation
        The roster's simulated outcome (`REPORT_DRAWS` draws, `REPORT_SEED`).
    chart : str
        Inline SVG: the distribution of the objective metric, with P10/P50/P90.
    comparison : dict or None
        The risk-aware vs expected-value rows and their chart, for a result with a ``risk`` block.
    calibration : dict or None
        Posts used, shrinkage and fit quality, for a scenario with ``calibration:``.
    """

    simulation: Simulation
    chart: str
    comparison: dict[str, Any] | None = None
    calibration: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)

    def range_of(self, name: str) -> tuple[float | None, float | None]:
        """(P10, P90) of one simulated figure, (None, None) when it was not simulated."""
        m = self.simulation.metrics.get(name)
        return (m["p10"], m["p90"]) if m else (None, None)

    def sheet_rows(self) -> list[list[Any]]:
        """The Uncertainty sheet: one row per figure, then the comparison and the calibration, as plain values."""
        s = self.simulation
        rows: list[list[Any]] = [["figure", "mean", "P10", "P50", "P90", "unit"]]
        units = s.to_dict()["units"]
        for name, m in s.metrics.items():
            rows.append([name, m["mean"], m["p10"], m["p50"], m["p90"], units.get(name, "")])
        rows += [[], [f"{s.draws:,} simulated outcomes of the roster, seed {s.seed}"], *[[n] for n in s.notes]]
        if self.comparison:
            c = self.comparison
            rows += [[], [c["title"]], ["roster", "mean", "P10", "P50", "P90", "CVaR", "risk objective (model's draws)",
                                        "expected value (forecast)", "creators"]]  # fmt: skip
            for r in c["rows"]:
                rows.append([r["name"], r["mean"], r["p10"], r["p50"], r["p90"], r.get("cvar"), r["risk_objective"],
                             r["expected_value"], r["creators"]])  # fmt: skip
            rows.append([c["price"]])
        if self.calibration:
            rows += [[], ["Calibration"], *[[k, v] for k, v in self.calibration["facts"]]]
        return rows


def _comparison(problem: Problem, doc: dict[str, Any]) -> dict[str, Any] | None:
    """Rows and chart of result.json's ``risk`` block, the chart drawn from the same fresh draws it measured."""
    from optimizer.risk import fresh_outcomes

    risk = doc.get("risk")
    if not risk or not risk.get("expected_value_roster"):
        return None
    ev = risk["expected_value_roster"]
    mine = risk["risk_aware"]
    evaluation = risk["evaluation"]
    ours = {e["creator_id"]: e["posts"] for e in doc["roster"]}
    label = "CVaR" if risk["method"] == "cvar" else "robust"
    chart = histogram(
        {f"risk-aware ({label}) roster": fresh_outcomes(problem, ours),
         "expected-value roster": fresh_outcomes(problem, {str(k): int(v) for k, v in ev["roster"].items()})},
        f"{doc['value_metric']} on {evaluation['draws']:,} fresh draws (seed {evaluation['seed']})",
        f"{doc['value_metric']} ({UNITS[doc['value_metric']]})",
        {"P10 risk-aware": mine["p10"], "P10 expected-value": ev["p10"]},
    )  # fmt: skip
    rows = [{"name": f"risk-aware ({label})", **mine, "creators": len(ours)},
            {"name": "expected-value", **ev, "creators": len(ev["roster"])}]  # fmt: skip
    price = risk.get("price_of_robustness") or {}
    words = (f"Price of robustness: {price.get('mean_given_up', 0):,.2f} {doc['value_metric']} of mean given up for "
             f"{price.get('p10_gained', 0):,.2f} at the P10 (positive = gained).")  # fmt: skip
    title = (f"Risk-aware vs expected-value roster ({risk['method']}"
             + (f", alpha {risk['alpha']:g}" if risk.get("alpha") is not None else f", gamma {risk['gamma']:g}")
             + f"; model on {risk['draws']:,} draws, seed {risk['seed']}; measured on {evaluation['draws']:,} fresh draws, "
             f"seed {evaluation['seed']})")  # fmt: skip
    return {"title": title, "rows": rows, "chart": chart, "price": words, "method": risk["method"]}


def calibration_summary(problem: Problem, roster: dict[str, int]) -> dict[str, Any] | None:
    """Posts used, shrinkage and fit quality of the calibration a scenario names (None without one)."""
    cal = problem.calibration
    if cal is None:
        return None
    seen = cal["posts_seen"].fillna(0) if "posts_seen" in cal else None
    own = seen > 0 if seen is not None else cal["log_rate_mean"].notna()
    chosen = cal.reindex(sorted(roster))
    chosen_own = own.reindex(chosen.index, fill_value=False)
    sd_post = float(cal["log_rate_sd_post"].median())
    sd_creator = float(chosen["log_rate_sd_creator"].median()) if len(chosen) else float("nan")
    total = float(np.sqrt(sd_post**2 + sd_creator**2))
    facts = [
        ("creators calibrated (pool)", f"{int(cal['log_rate_mean'].notna().sum()):,}, of which {int(own.sum()):,} "
                                       "on their own posts and the rest from their group's prior"),
        ("posts used (pool creators)", f"{int(seen.sum()):,}" if seen is not None else "not recorded"),
        ("roster creators on their own posts", f"{int(chosen_own.sum())} of {len(chosen)}, "
                                               f"{int(seen.reindex(chosen.index).fillna(0).sum()) if seen is not None else 0} posts"),
        ("shrinkage of the roster's creators (median)",
         f"{float(chosen.loc[chosen_own, 'shrinkage'].median()):.2f}" if chosen_own.any() else "n/a (no own posts)"),
        ("post-to-post spread sigma (log scale)", f"{sd_post:.3f}"),
        ("roster creators' own uncertainty (median sd, log scale)", f"{sd_creator:.3f}"),
        ("one post's P90 / P10 (median roster creator)", f"{np.exp(2 * Z90 * total):.1f}x"),
        ("measured fit (docs/forecast.md)", "on later real posts, 80.2% fell inside their P10-P90 (80 +/- 1 points per "
                                            "tier with enough posts)"),
    ]  # fmt: skip
    return {"facts": facts, "file": problem.scenario.calibration}


def outlook(problem: Problem, doc: dict[str, Any], draws: int = REPORT_DRAWS, seed: int = REPORT_SEED) -> Outlook:
    """Simulate the roster of a result.json document and gather the report's uncertainty view.

    Parameters
    ----------
    problem : Problem
    doc : dict
        The (verified) result.json as plain data.
    draws, seed : int
        The simulation behind the P10-P90 ranges and the chart.
    """
    roster = {e["creator_id"]: e["posts"] for e in doc["roster"]}
    sim = simulate(problem, roster, draws=draws, seed=seed)
    metric = problem.scenario.value_metric
    m = sim.metrics[metric]
    chart = histogram(
        {f"{metric}, this roster": sim.per_draw[metric]},
        f"Distribution of expected {metric}: {draws:,} simulated outcomes (seed {seed})",
        f"{metric} ({UNITS[metric]})", {"P10": m["p10"], "P50": m["p50"], "P90": m["p90"]},
    )  # fmt: skip
    return Outlook(sim, chart, _comparison(problem, doc), calibration_summary(problem, roster))
