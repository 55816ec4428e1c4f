"""The outcome of one optimisation: status, roster, totals and the proof, as data and as result.json.

`Result.to_doc` builds the typed result.json document (`optimizer.resultdoc`); the pipeline that
produces a `Result` is in `optimizer.pipeline`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from optimizer import __version__
from optimizer.column_rules import audience_rows, limit_rows, near_limit
from optimizer.diagnose import Conflict
from optimizer.errors import RosterError
from optimizer.forecast import RATE_UNITS, UNITS, funnel_words, total_weight
from optimizer.problem import Problem
from optimizer.reduce import Reduction
from optimizer.resultdoc import ResultDoc
from optimizer.returns import return_flags
from optimizer.risk import describe as describe_objective
from optimizer.scenario import OBJECTIVES
from optimizer.solve import SolveOutcome
from optimizer.verify import Verification


class VerificationFailed(RosterError):
    """The independent checker rejected the solver's roster (a bug: nothing is written)."""


@dataclass
class Result:
    """Everything one run found.

    Attributes
    ----------
    problem : Problem
    status : str
        ``optimal``, ``feasible``, ``infeasible`` or ``error``.
    roster : dict
        Creator id -> posts.
    outcome : SolveOutcome or None
    verification : Verification or None
    conflict : Conflict or None
        Why the scenario is infeasible.
    message : str
        One line for the planner.
    settings : dict
        Solver settings used.
    binding : list of dict
        Rules that hold with equality in the roster (why the budget is or is not all spent).
    sections : dict
        Optional result.json fields other modules add, already in document form: ``alternatives`` and
        ``alternatives_search`` (`optimizer.alternatives`), ``change`` (`optimizer.replace`), ``portfolio``
        (`optimizer.portfolio`).
    """

    problem: Problem
    status: str
    roster: dict[str, int] = field(default_factory=dict)
    outcome: SolveOutcome | None = None
    verification: Verification | None = None
    conflict: Conflict | None = None
    message: str = ""
    settings: dict[str, Any] = field(default_factory=dict)
    binding: list[dict[str, str]] = field(default_factory=list)
    reduction: Reduction | None = None
    timings: dict[str, float] = field(default_factory=dict)
    # optional result.json fields other modules add, already in document form (alternatives, change, portfolio)
    sections: dict[str, Any] = field(default_factory=dict)
    risk: dict[str, Any] | None = None  # risk-aware vs expected-value roster on fresh draws (optimizer.risk)

    @property
    def exit_code(self) -> int:
        """0 solved (optimal or feasible), 3 infeasible, 1 anything else."""
        return {"optimal": 0, "feasible": 0, "infeasible": 3}.get(self.status, 1)

    # --- tables ---------------------------------------------------------------------------

    def roster_table(self) -> pd.DataFrame:
        """One row per chosen creator with posts, cost and every forecast metric (for all posts)."""
        p = self.problem
        ids = sorted(self.roster)
        frame = p.pool.frame.loc[ids]
        metrics = p.metrics.loc[ids]
        posts = np.array([self.roster[i] for i in ids], dtype=int)
        decay = p.scenario.assumptions.post_decay
        weight = np.array([total_weight(k, decay) for k in posts])
        out = pd.DataFrame(
            {
                "creator_id": ids,
                "handle": frame["handle"].to_numpy(),
                "platform": frame["platform"].to_numpy(),
                "niche": [";".join(t) for t in frame["niches"]],
                "tier": metrics["tier"].to_numpy(),
                "followers": frame["followers"].to_numpy(dtype=float).astype(np.int64),
                "engagement_rate": frame["engagement_rate"].to_numpy(),
                "posts": posts,
                "cost_per_post": frame["cost"].to_numpy(),
                "cost": frame["cost"].to_numpy() * posts,
            }
        )
        out["value"] = metrics[p.scenario.value_metric].to_numpy() * weight
        for m in OBJECTIVES:
            out[f"expected_{m}"] = metrics[m].to_numpy() * weight
        extra = [c for c in p.pool.extra_columns if c not in out.columns]
        if extra:  # one concat, not one insert per column: thousands of extra columns stay linear
            block = pd.DataFrame(frame[extra].to_numpy(dtype=object), columns=extra, index=out.index, dtype=object)
            out = pd.concat([out, block], axis=1)
        return out

    def _group_summary(self, table: pd.DataFrame, by: str) -> list[dict[str, Any]]:
        budget = self.problem.scenario.budget
        spend = float(table["cost"].sum())
        if by == "niche":
            exploded = table.assign(niche=table["niche"].str.split(";")).explode("niche")
            exploded["niche"] = exploded["niche"].replace("", "(none)").fillna("(none)")
        else:
            exploded = table
        rows = []
        for label, g in exploded.groupby(by, sort=True):
            cost = float(g["cost"].sum())
            rows.append(
                {
                    by: str(label),
                    "creators": len(g),
                    "posts": int(g["posts"].sum()),
                    "cost": round(cost, 2),
                    "budget_share": None if not budget else cost / budget,
                    "spend_share": cost / spend if spend > 0 else None,
                    "value": float(g["value"].sum()),
                    **{m: float(g[f"expected_{m}"].sum()) for m in OBJECTIVES},
                }
            )
        return rows

    def _budget_note(self, total_cost: float) -> str | None:
        """Say why part of the budget is unspent, from the rules that bind (peer tools leave users guessing)."""
        sc = self.problem.scenario
        if not self.roster or sc.budget is None or sc.mode != "maximise" or total_cost >= 0.99 * sc.budget:
            return None
        at_cap = sum(1 for cid, k in self.roster.items() if k >= int(self.problem.max_posts[cid]))
        rules = [b["text"] for b in self.binding if b["rule"] != "budget"]
        close = [t for t in near_limit(self.problem, self.roster) if t.rsplit(" (", 1)[0] not in rules]
        why = "; ".join(rules) if rules else "no single rule (the remaining creators and posts do not fit what is left)"
        return (
            f"{1 - total_cost / sc.budget:.1%} of the budget is unspent. Rules that bind: {why}. "
            + (f"Close to their limit: {'; '.join(close)}. " if close else "")
            + f"{at_cap} of {len(self.roster)} chosen creators are booked for every post they offer."
        )

    # --- result.json --------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """result.json as plain data (see `to_doc`)."""
        return self.to_doc().model_dump(mode="json")

    def to_doc(self) -> ResultDoc:
        """The result.json document (README, "result.json", says what each field means)."""
        p = self.problem
        sc = p.scenario
        o = self.outcome
        table = self.roster_table()
        total_cost = float(table["cost"].sum()) if len(table) else 0.0
        totals = (
            {m: float(table[f"expected_{m}"].sum()) for m in OBJECTIVES}
            if len(table)
            else dict.fromkeys(OBJECTIVES, 0.0)
        )
        v = self.verification
        value = v.value if v else None
        if sc.mode == "min_cost":
            objective, objective_value = "cost", (total_cost if self.roster else None)
        elif sc.risk is not None:
            # the risk objective (CVaR or robust value of the sampled outcomes): what the bound and gap are about
            objective, objective_value = sc.objective, (v.risk_value if v else None)
        else:
            objective, objective_value = sc.objective, value
        bound = _num(o.bound) if o and o.has_solution else None
        gap = _num(o.gap) if o and o.has_solution else None
        if sc.risk is not None and bound is not None and objective_value is not None:
            # measured against the recomputed risk objective, which may exceed the solver's own figure for a
            # roster that is not proven optimal
            gap = abs(bound - objective_value) / max(abs(objective_value), 1e-9)
        conversions = totals["conversions"]
        aov = sc.assumptions.average_order_value
        cpa = (total_cost / conversions) if conversions > 0 else None
        emv_per_dollar = (totals["emv"] / total_cost) if total_cost > 0 else None
        roi = ((conversions * aov - total_cost) / total_cost) if aov and total_cost > 0 else None
        doc: dict[str, Any] = {
            "tool": "creator-roster",
            "version": __version__,
            "scenario": sc.name,
            # absolute, so `roster report`, `replace` and `simulate` find it from any working folder
            "scenario_file": str(Path(p.scenario_path).resolve()) if p.scenario_path else None,
            "status": self.status,
            "message": self.message,
            "mode": sc.mode,
            "objective": objective,
            "objective_unit": sc.currency if objective == "cost" else describe_objective(p),
            "objective_value": _num(objective_value),
            "bound": bound,
            "gap": gap,
            "budget": sc.budget,
            "min_spend": sc.min_spend,
            "currency": sc.currency,
            "total_cost": round(total_cost, 2),
            "budget_used_share": (total_cost / sc.budget) if sc.budget else None,
            "roster_size": len(self.roster),
            "total_posts": int(sum(self.roster.values())),
            "value_metric": sc.value_metric,
            "value": _num(value),
            "value_before_overlap_discount": _num(v.value_before_discount) if v else None,
            "overlap_discount": _num(v.discount) if v else None,
            "totals_before_overlap_discount": totals,
            "cpa": cpa,
            "emv_per_dollar": emv_per_dollar,
            "roi": roi,
            "target": {"metric": sc.target.metric, "value": sc.target.value} if sc.target else None,
            "roster": [_clean(r) for r in table.to_dict(orient="records")],
            "binding_rules": self.binding,
            "budget_note": self._budget_note(total_cost),
            "by_niche": self._group_summary(table, "niche") if len(table) else [],
            "by_platform": self._group_summary(table, "platform") if len(table) else [],
            # only a roster has an audience mix (an infeasible or failed run lists none)
            "audience": audience_rows(p, self.roster) if self.status in ("optimal", "feasible") else [],
            "limits": limit_rows(p, self.roster) if self.status in ("optimal", "feasible") else [],
            "solver": {
                "name": o.solver if o else self.settings.get("solver"),
                "status": o.status.value if o else None,
                "seconds": round(o.seconds, 4) if o else None,
                "time_limit": self.settings.get("time_limit"),
                "gap_setting": self.settings.get("gap"),
            },
            "reduction": self.reduction.to_dict() if self.reduction else None,
            "timings_seconds": self.timings,
            "verification": {
                "passed": v.passed,
                "checks": v.checks,
                "violations": v.violations,
            }
            if v
            else None,
            "infeasibility": {"rules": self.conflict.rules, "explanation": self.conflict.explanation}
            if self.conflict
            else None,
            "pool": {
                "file": p.pool.source,
                "creators": len(p.pool.frame),
                "eligible": int(p.eligible.sum()),
                "ineligible_by_reason": {
                    k: int(n) for k, n in p.reasons[p.reasons != ""].value_counts().sort_index().items()
                },
                "overlap_pairs": len(p.overlap),
                "filtered_at_source": {
                    "creators": p.pool.source_filter.unread,
                    "overlap_pairs": p.pool.source_filter.overlap_dropped,
                    "rules": p.pool.source_filter.rules,
                }
                if p.pool.source_filter
                else None,
            },
            "assumptions": sc.assumptions.model_dump(),
            "notes": p.notes,
            "units": {
                "cost": sc.currency,
                "budget": sc.currency,
                "total_cost": sc.currency,
                "cpa": f"{sc.currency} per conversion",
                "emv_per_dollar": f"EMV {sc.currency} per {sc.currency} spent",
                **{f"expected_{m}": UNITS[m] for m in OBJECTIVES},
                "value": UNITS[sc.value_metric],
                "roi": "(revenue - spend) / spend",
                **({"audience.achieved": "share of the roster's expected reach (0-1)"} if sc.audience else {}),
                "conversion_funnel": funnel_words(
                    p.metrics.loc[sorted(self.roster)] if self.roster else p.metrics[p.eligible]
                ),
                **RATE_UNITS,
            },
            "return_flags": return_flags({"roi": roi, "emv_per_dollar": emv_per_dollar}) if self.roster else [],
            **self.sections,
        }
        if self.risk is not None:
            doc["risk"] = self.risk
        return ResultDoc.model_validate(doc)


def roster_records(problem: Problem, roster: dict[str, int]) -> list[dict[str, Any]]:
    """Roster entries of any roster of `problem`, in the shape of result.json's ``roster`` (alternatives, changes)."""
    table = Result(problem, "feasible", roster).roster_table()
    return [_clean(r) for r in table.to_dict(orient="records")]


def _num(x: float | None) -> float | None:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return None
    return float(x)


def _clean(record: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, val in record.items():
        if isinstance(val, np.integer):
            val = int(val)
        elif isinstance(val, np.floating):
            val = float(val)
        out[str(k)] = val
    return out
