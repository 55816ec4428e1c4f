"""Declines and replacements: a new roster after some creators said no, changing as little as possible.

Given an earlier result, the creators who **declined** (they may not return), those already **booked**
(they stay, with the posts they were booked for) and **renegotiated prices**, the new roster

1. drops as few of the earlier roster's other creators as possible (first solve: maximise how many of them
   stay), then
2. loses as little value as possible: the best roster that drops no more than that (second solve). With
   ``max_changes`` N the first solve is skipped: the best roster that drops at most N of them.

**A change** is a creator of the earlier roster, other than one who declined, who is not on the new roster.
Creators who join are not changes: filling the places of those who declined is the point, and counting them
would make the fewest-changes roster the earlier one minus the decliners, with their budget left unspent. A
creator who stays with a different number of posts is not a change either; the change object lists them.

The new roster answers the scenario *of the replacement*: the earlier scenario with the decliners excluded
(and dropped from ``include`` if they were must-haves, with a note), the booked creators included, and the
renegotiated prices under ``prices:``. `roster replace` writes that scenario next to the new result
(`optimizer.scenario_copy`), so `roster verify NEW/scenario.yaml NEW/result.json` checks it as it stands.
"""

from __future__ import annotations

import difflib
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from optimizer.errors import InputError, ResultFileError, ScenarioError
from optimizer.formatting import money, num, pct
from optimizer.milp import Block, Milp
from optimizer.model import build_model
from optimizer.pipeline import Solved, SolveOptions, finish, solve_model, with_overrides
from optimizer.problem import Problem, load_problem
from optimizer.result import Result
from optimizer.resultdoc import ResultDoc, parse_result, read_result_data, scenario_of
from optimizer.rules import RuleSpec, register_rule
from optimizer.solve import Status
from optimizer.verify import roster_value

BOOKED = "booked"
MAX_CHANGES = "max_changes"


def _booked_conflict(b: Block, f) -> str:
    price = float(f.problem.pool.frame.at[b.label, "cost"])
    text = f"{b.label} is booked for {int(b.limit)} post(s) at {f.money(price)} each"
    budget = f.problem.scenario.budget
    if budget is not None and price * b.limit > budget:
        # posts the budget cannot buy have no column in the model, so the budget acts through this rule
        text += f" ({f.money(price * b.limit)}, more than the budget of {f.money(budget)})"
    return text


register_rule(RuleSpec(BOOKED, lambda b, cur: f"{b.label} stays booked for {b.limit:.0f} post(s)",
                       conflict=_booked_conflict, local=True))  # fmt: skip
register_rule(RuleSpec(MAX_CHANGES, lambda b, cur: f"at most {b.limit:.0f} creator(s) of the earlier roster dropped",
                       conflict=lambda b, f: f"at most {int(b.limit)} creator(s) of the earlier roster may be dropped "
                                             "besides those who declined"))  # fmt: skip


class ReplaceError(InputError):
    """A replacement request that cannot be used as it is (unknown ids, a creator booked and declined, ...)."""


@dataclass
class Request:
    """What changed since the earlier result.

    Attributes
    ----------
    declined : list of str
        Creators of the earlier roster who said no; they may not return.
    booked : list of str
        Creators of the earlier roster already signed: they stay, with the posts they were booked for.
    prices : dict
        Renegotiated price per post, creator id -> amount.
    max_changes : int, optional
        Drop at most this many of the earlier roster's other creators (skips the fewest-changes solve).
    """

    declined: list[str] = field(default_factory=list)
    booked: list[str] = field(default_factory=list)
    prices: dict[str, float] = field(default_factory=dict)
    max_changes: int | None = None


@dataclass
class Replacement:
    """The new result, the scenario it answers, and the change."""

    problem: Problem
    result: Result
    change: dict[str, Any]
    notes: list[str] = field(default_factory=list)


def _unique(ids: list[str]) -> list[str]:
    return list(dict.fromkeys(str(i).strip() for i in ids))


def check_request(
    problem: Problem, before: dict[str, int], request: Request, source: str = "the earlier result"
) -> Request:
    """Validate a request against the pool and the earlier roster; returns it without duplicates.

    Raises
    ------
    ReplaceError
        Unknown ids, a creator both booked and declined, a declined or booked creator who was not on the
        earlier roster (a typo would otherwise do nothing, silently), a price for a creator who declined.
    """
    declined, booked = _unique(request.declined), _unique(request.booked)
    if not declined and not request.prices:
        raise ReplaceError("Nothing to replace: give --declined ID (and/or --price ID=AMOUNT for renegotiated prices).")
    pool = problem.pool.frame.index
    named = [*declined, *booked, *request.prices]
    unknown = [c for c in dict.fromkeys(named) if c not in pool]
    if unknown:
        hints = []
        for c in unknown:
            close = difflib.get_close_matches(c, list(before) or [], n=1)
            hints.append(f"{c} (did you mean {close[0]}?)" if close else c)
        raise ReplaceError(f"{', '.join(hints)}: not a creator_id in {problem.pool.source}; nothing was written.")
    both = [c for c in declined if c in booked]
    if both:
        raise ReplaceError(f"{', '.join(both)} cannot be both booked and declined; nothing was written.")
    for what, ids in (("declined", declined), ("booked", booked)):
        missing = [c for c in ids if c not in before]
        if missing:
            raise ReplaceError(
                f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} {what} but not on the roster of {source} "
                f"({len(before)} creators: {', '.join(sorted(before)[:8])}{', ...' if len(before) > 8 else ''}); "
                "nothing was written."
            )
    priced_out = [c for c in request.prices if c in declined]
    if priced_out:
        raise ReplaceError(f"{', '.join(priced_out)} declined, so a price for them has no effect; nothing was written.")
    return Request(declined, booked, dict(request.prices), request.max_changes)


def replacement_problem(previous: Problem, request: Request) -> tuple[Problem, list[str]]:
    """The earlier scenario with the declines excluded, the bookings included and the new prices (see module doc).

    Parameters
    ----------
    previous : Problem
        The earlier result's scenario with its loaded pool.
    request : Request
        Already checked (`check_request`).

    Returns
    -------
    problem : Problem
    notes : list of str
        What the planner should know (a must-include creator who declined).

    Raises
    ------
    ReplaceError
        When that scenario does not hold (e.g. a booked creator is not eligible at the new price).
    """
    sc = previous.scenario
    notes: list[str] = []
    was_required = [c for c in request.declined if c in sc.eligibility.include]
    if was_required:
        notes.append(f"{', '.join(was_required)} had to be on the roster (include) but declined; the replacement "
                     "drops that requirement.")  # fmt: skip
    include = [c for c in sc.eligibility.include if c not in request.declined]
    include += [c for c in request.booked if c not in include]
    exclude = [*sc.eligibility.exclude, *(c for c in request.declined if c not in sc.eligibility.exclude)]
    overrides: dict[str, Any] = {"eligibility": {"include": include, "exclude": exclude}}
    if request.prices:
        overrides["prices"] = {**sc.prices, **request.prices}
    try:
        problem = with_overrides(previous, overrides)
    except ScenarioError as exc:
        raise ReplaceError(f"The replacement's scenario (declines excluded, bookings included, new prices) is not "
                           f"usable: {exc}; nothing was written.") from None  # fmt: skip
    return problem, notes


def _owners(milp: Milp) -> dict[str, int]:
    return {str(c): i for i, c in enumerate(milp.creator_ids[milp.owner_creator])}


def _lock_bookings(milp: Milp, before: dict[str, int], booked: list[str]) -> None:
    """A booked creator keeps exactly the posts they were booked for (one block per creator, so diagnosis names it)."""
    owner = _owners(milp)
    for cid in booked:
        cols = np.flatnonzero((milp.owner == owner[cid]) & (milp.kind == "post"))
        milp.add_block(Block.single(BOOKED, cid, before[cid], cols, np.ones(len(cols)), "==", float(before[cid])))


def replace_roster(previous: Problem, before: dict[str, int], request: Request, options: SolveOptions | None = None,
                   from_result: str = "result.json", scenario_path: Path | None = None) -> Replacement:  # fmt: skip
    """The new roster after declines, bookings and new prices: fewest changes first, then the most value.

    Parameters
    ----------
    previous : Problem
        The scenario (and loaded pool) of the earlier result.
    before : dict
        The earlier roster, creator id -> posts.
    request : Request
        Checked with `check_request` first.
    options : SolveOptions, optional
    from_result : str
        The earlier result file, recorded in the change.
    scenario_path : Path, optional
        Where the replacement's scenario will be written (recorded as the result's ``scenario_file``).

    Returns
    -------
    Replacement
        Its result carries ``sections["change"]``; status ``infeasible`` (explained) when no roster keeps the
        bookings within the rules.
    """
    options = options or SolveOptions()
    began = time.perf_counter()
    request = check_request(previous, before, request, from_result)
    problem, notes = replacement_problem(previous, request)
    if scenario_path is not None:
        problem = replace(problem, scenario_path=scenario_path)
    milp = build_model(problem)
    _lock_bookings(milp, before, request.booked)
    owner = _owners(milp)
    stay = [c for c in before if c not in request.declined]  # dropping any of these is a change
    gone = [c for c in stay if c not in owner]  # not eligible any more: dropped whatever happens
    if gone:
        notes.append(f"{', '.join(gone)} cannot stay: not eligible under the replacement's scenario "
                     f"({'; '.join(str(problem.reasons[c]) for c in gone)}).")  # fmt: skip
    cols = milp.first_col[[owner[c] for c in stay if c in owner]]
    timings = {"build": round(time.perf_counter() - began, 4)}
    fewest = None
    if request.max_changes is None:
        # first solve: keep as many of them as the rules allow
        count = replace(milp, blocks=list(milp.blocks), maximise=True, objective={"kept": (cols, np.ones(len(cols)))})
        first = solve_model(count, replace(options, time_limit=options.time_limit))
        timings["fewest_changes"] = round(sum(first.timings.values()), 4)
        if first.outcome.status != Status.OPTIMAL:
            solved = Solved(milp, first.outcome, first.reduction, first.timings)
            result = finish(problem, solved, options, timings)
            if result.status != "infeasible":  # a time limit stopped it: the fewest changes are not proven
                result = Result(problem, "error", outcome=first.outcome, settings=options.settings(), timings=timings,
                                message="The fewest changes were not proven within the time limit; raise --time-limit "
                                        "or give --max-changes.")  # fmt: skip
            return _done(problem, result, before, request, None, from_result, notes, previous)
        fewest = len(stay) - round(float(first.outcome.objective or 0.0))
        start = milp.posts(first.outcome.values)  # type: ignore[arg-type]
    else:
        start = None
    limit = fewest if fewest is not None else int(request.max_changes)  # type: ignore[arg-type]
    # second solve: the most value among rosters that drop at most `limit` of them
    milp.add_block(
        Block.single(MAX_CHANGES, "", float(limit), cols, np.ones(len(cols)), ">=", float(len(stay) - limit))
    )
    solved = solve_model(milp, options, start=start)
    result = finish(problem, solved, options, {**timings, **solved.timings})
    return _done(problem, result, before, request, fewest, from_result, notes, previous)


def _done(problem: Problem, result: Result, before: dict[str, int], request: Request, fewest: int | None,
          from_result: str, notes: list[str], previous: Problem) -> Replacement:  # fmt: skip
    after = result.roster if result.status in ("optimal", "feasible") else None
    gross, discount = roster_value(problem, before)
    spend_before = sum(float(previous.pool.frame.at[c, "cost"]) * k for c, k in before.items())
    change: dict[str, Any] = {
        "from_result": from_result,
        "before": [{"creator_id": c, "posts": k} for c, k in sorted(before.items())],
        "declined": request.declined, "booked": request.booked,
        "prices": [{"creator_id": c, "before": float(previous.pool.frame.at[c, "cost"]), "after": float(a)}
                   for c, a in request.prices.items()],
        "max_changes": request.max_changes, "fewest_changes": fewest,
        "changes": 0, "leave": [], "join": [], "posts_changed": [],
        "value_before": gross - discount, "value_after": None, "spend_before": spend_before, "spend_after": None,
    }  # fmt: skip
    if after is not None and result.verification is not None:
        leave = sorted(set(before) - set(after))
        change.update(
            changes=len(set(leave) - set(request.declined)), leave=leave, join=sorted(set(after) - set(before)),
            posts_changed=[{"creator_id": c, "before": before[c], "after": after[c]}
                           for c in sorted(set(before) & set(after)) if before[c] != after[c]],
            value_after=result.verification.value, spend_after=result.verification.total_cost,
        )  # fmt: skip
        result.message = (f"Replacement for {len(request.declined)} decline(s): {change['changes']} other creator(s) "
                          f"dropped, {len(change['join'])} join. {result.message}")  # fmt: skip
    result.sections["change"] = change
    problem.notes.extend(notes)
    return Replacement(problem, result, change, notes)


# --- files ---------------------------------------------------------------------------------------


def load_previous(result_dir: Path, scenario: Path | None = None) -> tuple[Problem, ResultDoc, Path]:
    """The earlier result and its scenario, after checking every figure the result claims.

    Raises
    ------
    ResultFileError
        No result.json, no roster in it, its scenario cannot be found, or it fails its audit (bad input:
        a replacement is never built on a result that does not check out).
    """
    from optimizer.audit import audit_result

    path = Path(result_dir) / "result.json"
    if not path.exists():
        raise ResultFileError(f"{path}: not found; give the folder of a `roster optimize` result")
    data = read_result_data(path)
    named = scenario_of(data, path, scenario)
    problem = load_problem(named)
    if data.get("status") not in ("optimal", "feasible") or not data.get("roster"):
        raise ResultFileError(f"{path}: status {data.get('status')!r}: there is no roster to replace creators in")
    check = audit_result(problem, data)
    if not check.passed:
        raise ResultFileError(f"{path} does not check out against {named}, so no replacement was built on it: "
                              + "; ".join(check.violations[:5]) + ("; ..." if len(check.violations) > 5 else ""))  # fmt: skip
    return problem, parse_result(data, str(path)), named


def replacement_files(rep: Replacement, source: Path, folder: Path) -> dict[str, str | bytes]:
    """result.json, roster.csv and scenario.yaml for `folder`; the result is audited against that scenario first.

    Parameters
    ----------
    rep : Replacement
    source : Path
        The earlier scenario file, which the copy's paths are rebased from.
    folder : Path
        The new result folder.

    Raises
    ------
    VerificationFailed
        If the new result does not pass the audit against the scenario written with it (a bug).
    """
    from optimizer.audit import audit_result
    from optimizer.output import result_files
    from optimizer.result import VerificationFailed
    from optimizer.scenario_copy import scenario_copy

    header = (f"Written by `roster replace` from {rep.change['from_result']} (scenario {source}): the earlier scenario "
              "with the decliners excluded,\nthe booked creators included and renegotiated prices under 'prices'. "
              "Check the result with: roster verify <this file> result.json")  # fmt: skip
    text = scenario_copy(rep.problem.scenario, source, folder, header)
    doc = rep.result.to_doc()
    if rep.result.roster:
        check = audit_result(rep.problem, doc.model_dump(mode="json"))
        if not check.passed:
            raise VerificationFailed("The replacement failed its audit, so nothing was written: "
                                     + "; ".join(check.violations))  # fmt: skip
    files = result_files(rep.result, doc)
    files["scenario.yaml"] = text
    return files


def change_text(doc: ResultDoc) -> str:
    """What `roster replace` prints about the change (from the new result.json)."""
    ch = doc.change
    if ch is None:
        return ""
    cur, metric = doc.currency, doc.value_metric
    fewest = f" (the fewest possible: {ch.fewest_changes})" if ch.fewest_changes is not None else ""
    limit = f" (at most {ch.max_changes} allowed)" if ch.max_changes is not None else ""
    lines = [f"Change against {ch.from_result}:"]
    if doc.status not in ("optimal", "feasible"):
        lines.append(f"  No replacement roster: {doc.message}")
        return "\n".join(lines)
    why = {c: "declined" for c in ch.declined}
    lines.append(
        f"  Leave ({len(ch.leave)}): " + (", ".join(f"{c} ({why.get(c, 'dropped')})" for c in ch.leave) or "nobody")
    )
    lines.append(f"  Join ({len(ch.join)}): " + (", ".join(ch.join) or "nobody"))
    lines.append(f"  Changes: {ch.changes} creator(s) dropped besides those who declined{fewest}{limit}")
    if ch.booked:
        lines.append(f"  Booked (kept as they were): {', '.join(ch.booked)}")
    for p in ch.posts_changed:
        lines.append(f"  Posts: {p.creator_id} {p.before} -> {p.after}")
    for p in ch.prices:
        lines.append(f"  Price per post: {p.creator_id} {money(p.before, cur)} -> {money(p.after, cur)}")
    lines.append(_before_after("Value", ch.value_before, ch.value_after, lambda v: f"{num(v)} {metric}"))
    lines.append(_before_after("Spend", ch.spend_before, ch.spend_after, lambda v: money(v, cur)))
    return "\n".join(lines)


def _before_after(label: str, before: float, after: float | None, fmt) -> str:
    if after is None:
        return f"  {label}: {fmt(before)} before"
    delta = after - before
    share = f", {pct(delta / before, 2)}" if before else ""
    return f"  {label}: {fmt(before)} -> {fmt(after)} ({'+' if delta >= 0 else '-'}{fmt(abs(delta))}{share})"


# --- roster diff ----------------------------------------------------------------------------------


def diff_results(old: ResultDoc, new: ResultDoc) -> dict[str, Any]:
    """Who left, who joined, posts and prices changed, value and spend before and after, between two results.

    Parameters
    ----------
    old, new : ResultDoc

    Returns
    -------
    dict
        ``leave``, ``join``, ``stay``, ``posts_changed`` and ``prices_changed`` (creator, before, after),
        ``value``, ``spend``, ``size`` and ``status`` (before, after), ``same_scenario``, ``same_metric``.
    """
    a, b = old.posts, new.posts
    price_a = {e.creator_id: e.cost_per_post for e in old.roster}
    price_b = {e.creator_id: e.cost_per_post for e in new.roster}
    both = sorted(set(a) & set(b))
    return {
        "same_scenario": old.scenario == new.scenario, "same_metric": old.value_metric == new.value_metric,
        "leave": sorted(set(a) - set(b)), "join": sorted(set(b) - set(a)), "stay": len(both),
        "posts_changed": [(c, a[c], b[c]) for c in both if a[c] != b[c]],
        "prices_changed": [(c, price_a[c], price_b[c]) for c in both if abs(price_a[c] - price_b[c]) > 1e-9],
        "value": (old.value, new.value), "spend": (old.total_cost, new.total_cost),
        "size": (old.roster_size, new.roster_size), "status": (old.status, new.status),
    }  # fmt: skip


def diff_text(old: ResultDoc, new: ResultDoc, old_name: str, new_name: str) -> str:
    """`roster diff` output."""
    d = diff_results(old, new)
    cur = new.currency
    lines = [f"{old_name} ({old.scenario}, {old.status}) -> {new_name} ({new.scenario}, {new.status})"]
    if not d["same_scenario"]:
        lines.append("  Note: the two results answer different scenarios.")
    lines.append(f"  Leave ({len(d['leave'])}): {', '.join(d['leave']) or 'nobody'}")
    lines.append(f"  Join ({len(d['join'])}): {', '.join(d['join']) or 'nobody'}")
    lines.append(f"  Stay: {d['stay']}; roster {d['size'][0]} -> {d['size'][1]} creators")
    for c, x, y in d["posts_changed"]:
        lines.append(f"  Posts: {c} {x} -> {y}")
    for c, x, y in d["prices_changed"]:
        lines.append(f"  Price per post: {c} {money(x, cur)} -> {money(y, cur)}")
    before, after = d["value"]
    if d["same_metric"] and before is not None and after is not None:
        lines.append(_before_after("Value", before, after, lambda v: f"{num(v)} {new.value_metric}"))
    else:
        lines.append(f"  Value: {num(before)} {old.value_metric} -> {num(after)} {new.value_metric}")
    lines.append(_before_after("Spend", d["spend"][0], d["spend"][1], lambda v: money(v, cur)))
    return "\n".join(lines)
