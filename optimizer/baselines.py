"""The rosters planners pick today, scored with the same budget, forecast and overlap model as the optimum.

- celebrity: the best single macro or mega creator the budget affords (one deal, as many of their posts
  as the budget buys), or the one named in the scenario's ``baselines.celebrity``;
- top by followers, top by engagement rate, greedy by value per dollar: walk the eligible creators in
  that order, one post each, must-includes first, skipping anyone who breaks the budget, the roster size,
  a niche or platform cap, or an overlap limit;
- hand-picked lists named in ``baselines.hand_picked``.

Each is checked by the independent verifier: a baseline that breaks a rule (most celebrity deals break
the roster-size and niche rules) is reported as such, and the optimum is compared with it anyway.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from optimizer.forecast import total_weight
from optimizer.problem import FOLLOWER_RULES, Problem
from optimizer.tiers import CELEBRITY_FLOOR
from optimizer.verify import Verification, verify_roster


@dataclass
class Baseline:
    """One alternative roster and how it scores."""

    name: str
    description: str
    roster: dict[str, int]
    check: Verification
    notes: list[str] = field(default_factory=list)

    @property
    def feasible(self) -> bool:
        """True when the roster satisfies every rule of the scenario."""
        return self.check.passed

    def to_dict(self, optimum: float | None, currency_metric: str) -> dict:
        """A row of the baselines table."""
        value = self.check.value
        return {
            "name": self.name,
            "description": self.description,
            "creators": len(self.roster),
            "posts": int(sum(self.roster.values())),
            "cost": round(self.check.total_cost, 2),
            "value": value,
            "value_metric": currency_metric,
            "ratio_to_optimum": (value / optimum) if optimum else None,
            "optimum_advantage": (optimum / value) if value > 0 and optimum else None,
            "feasible": self.feasible,
            "rules_broken": self.check.violations,
            "roster": sorted(self.roster),
            "notes": self.notes,
        }


def _greedy(problem: Problem, order: list[tuple[str, int]]) -> dict[str, int]:
    """Book (creator, post k) items in `order` while every cap still holds (a planner's spreadsheet walk).

    Post k of a creator is only booked after post k-1; must-includes and each niche and platform minimum
    (best-first within it) come first, as a careful planner would do.
    """
    sc = problem.scenario
    # plain dicts for the walk: one lookup per item in a Python loop (pandas .at per item is the slow part)
    pool = problem.pool.frame
    frame = {"cost": pool["cost"].to_dict(), "niches": pool["niches"].to_dict(), "platform": pool["platform"].to_dict()}
    caps = problem.max_posts.to_dict()
    budget = sc.budget if sc.budget is not None else float("inf")
    max_size = sc.roster.max_creators or 10**9
    share = sc.roster.max_creator_budget_share
    per_creator = share * budget if share is not None else float("inf")
    limit = sc.overlap_policy.max_pairwise
    conflicts: dict[str, set[str]] = {}
    if limit is not None:
        heavy = problem.overlap[problem.overlap["overlap"] > limit]
        for a, b in zip(heavy["a"], heavy["b"]):
            conflicts.setdefault(a, set()).add(b)
            conflicts.setdefault(b, set()).add(a)
    rules = {**{("niche", k): v for k, v in sc.niches.items()}, **{("platform", k): v for k, v in sc.platforms.items()}}
    firsts: list[tuple[str, int]] = []
    for (kind, label), rule in rules.items():
        if rule.min_creators:
            key = "niches" if kind == "niche" else "platform"
            members = [
                item for item in order
                if item[1] == 1 and (label in frame[key][item[0]] if kind == "niche" else frame[key][item[0]] == label)
            ]  # fmt: skip
            firsts += members[: rule.min_creators]
    counts: dict[tuple[str, str], int] = {}
    roster: dict[str, int] = {}
    spent = 0.0
    for cid, k in [*((c, 1) for c in sc.eligibility.include), *firsts, *order]:
        cost = float(frame["cost"][cid])
        if roster.get(cid, 0) != k - 1 or spent + cost > budget + 1e-9 or cost * k > per_creator + 1e-9:
            continue
        if k > int(caps[cid]):
            continue
        if k == 1:
            if len(roster) >= max_size or conflicts.get(cid, set()) & roster.keys():
                continue
            groups = [("niche", n) for n in frame["niches"][cid]] + [("platform", frame["platform"][cid])]
            capped = [g for g in groups if g in rules and rules[g].max_creators is not None]
            if any(counts.get(g, 0) >= rules[g].max_creators for g in capped):  # type: ignore[operator]
                continue
            for g in groups:
                counts[g] = counts.get(g, 0) + 1
        roster[cid] = k
        spent += cost
    return roster


def compute_baselines(problem: Problem) -> list[Baseline]:
    """Score the planners' usual alternatives under the scenario's rules.

    Parameters
    ----------
    problem : Problem

    Returns
    -------
    list of Baseline
        Celebrity deal (when one is affordable), top by followers, top by engagement rate, greedy by
        value per dollar, then any hand-picked lists from the scenario.
    """
    sc = problem.scenario
    frame = problem.pool.frame
    elig = frame.loc[problem.eligible.to_numpy()]
    values = problem.values
    out: list[Baseline] = []

    celeb = _celebrity(problem)
    if celeb is not None:
        out.append(celeb)
    ids = elig.index.to_numpy()
    followers = elig["followers"].to_numpy(dtype=float)
    er = elig["engagement_rate"].to_numpy(dtype=float)
    # ties broken by creator id so the baselines are as deterministic as the optimum
    for name, key, description in (
        ("top_followers", followers, "Top eligible creators by followers, one post each, while the budget lasts"),
        ("top_engagement", er, "Top eligible creators by engagement rate, one post each, while the budget lasts"),
    ):
        order = [(ids[i], 1) for i in np.lexsort((ids, -key))]
        roster = _greedy(problem, order)
        out.append(Baseline(name, description, roster, verify_roster(problem, roster)))
    # the knapsack greedy: every post is an item worth value x decay^(k-1), best value per dollar first
    decay = sc.assumptions.post_decay
    items = []
    for cid in ids:
        cost = float(elig.at[cid, "cost"])
        for k in range(1, int(problem.max_posts[cid]) + 1):
            worth = float(values[cid]) * decay ** (k - 1)
            items.append((-(worth / cost) if cost > 0 else -np.inf, cid, k))
    items.sort()
    roster = _greedy(problem, [(cid, k) for _, cid, k in items])
    out.append(
        Baseline(
            "greedy_value_per_dollar",
            f"Greedy by expected {sc.value_metric} per dollar, post by post",
            roster,
            verify_roster(problem, roster),
        )
    )
    for label, picked in (sc.baselines.hand_picked if sc.baselines else {}).items():
        roster = dict.fromkeys(picked, 1)
        out.append(
            Baseline(
                f"hand_picked:{label}",
                f"Hand-picked list '{label}' from the scenario, one post each",
                roster,
                verify_roster(problem, roster),
            )
        )
    return out


def _celebrity(problem: Problem) -> Baseline | None:
    sc = problem.scenario
    frame = problem.pool.frame
    named = sc.baselines.celebrity if sc.baselines else None
    notes = []
    if named:
        candidates = [named]
        notes.append(f"{named} is named in the scenario as the celebrity alternative.")
    else:
        # a celebrity deal is by definition outside a micro-tier follower filter: every other
        # eligibility rule (platform, authenticity, exclusions, ...) still applies
        others = [c for c in problem.failed.columns if c not in FOLLOWER_RULES]
        allowed = ~problem.failed[others].to_numpy().any(axis=1) if others else np.ones(len(frame), dtype=bool)
        big = frame["followers"].to_numpy() >= CELEBRITY_FLOOR
        candidates = list(frame.index[allowed & big])
        notes.append(
            "Best single macro or mega creator (500k+ followers) the budget affords; the follower filter is not applied."
        )
    budget = sc.budget if sc.budget is not None else float("inf")
    best: tuple[float, str, int] | None = None
    decay = sc.assumptions.post_decay
    for cid in candidates:
        cost = float(frame["cost"][cid])
        cap = int(problem.max_posts[cid])
        posts = cap if cost == 0 else min(cap, int(budget // cost))
        if posts < 1:
            continue
        value = float(problem.values[cid]) * total_weight(posts, decay)
        if best is None or value > best[0] + 1e-12:
            best = (value, cid, posts)
    if best is None:
        return None
    roster = {best[1]: best[2]}
    handle = frame.at[best[1], "handle"]
    return Baseline(
        "celebrity",
        f"One deal with {handle} ({int(frame.at[best[1], 'followers']):,} followers)",
        roster,
        verify_roster(problem, roster),
        notes,
    )
