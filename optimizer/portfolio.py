"""Several campaigns on one budget: one MILP over every campaign, solved to proven optimality.

A **portfolio file** (YAML, validated strictly like a scenario) names scenario files, each keeping its own
pool, forecast and rules, and adds the rules they share:

- ``budget``: the most all campaigns together may spend;
- per campaign, optional ``min_spend`` and ``max_spend``;
- ``exclusive``: groups of campaigns that may not share a creator (a creator works for at most one campaign of
  each group);
- ``max_posts_per_creator``: the most posts one creator makes across all campaigns.

**The shared budget replaces each campaign's own budget.** A campaign's spend is capped by its ``max_spend``,
or by the shared budget when it has none; its scenario's ``budget`` is not used. Its floor is its
``min_spend`` when given, else its scenario's ``min_spend``. Each campaign is solved and verified as its
scenario with ``budget`` set to that cap (and ``min_spend`` to that floor), so rules stated as a share of the
budget (``roster.max_creator_budget_share``) refer to the cap. That scenario is written into the campaign's
result folder, where `roster verify` checks it.

**Model.** Owners are (campaign, creator) pairs: `optimizer.model.add_campaign` adds each campaign's columns
and rules to one `Milp` (rule keys prefixed ``campaign/``); the objective is the sum of the campaigns'
values, so every campaign must maximise the same metric (a target, min-cost scenario cannot take part). The
shared rules are three catalogue entries registered below. A creator is the same person in two campaigns when
the creator_id is the same; where a shared rule couples two campaigns with different pools, an id must name
the same handle and platform in both (checked, or the plan would treat two people as one).

**Proof and checks.** The joint optimum is proven by the solver (status and bound in portfolio.json). Each
campaign's roster is verified against its own scenario (with the cap as budget) by `optimizer.verify`, and
the shared rules by `check_shared`, written separately from the model. A campaign's own result.json has
status ``feasible`` with no bound of its own: its roster is part of the proven joint optimum (the
``portfolio`` field points to it) but is not claimed optimal for its scenario alone.

**Moving money.** For each ordered pair of campaigns (a, b), the plan is re-solved with a's spend capped at its
spend minus the amount (default $1,000), b's at its spend plus the amount and every other campaign's at its
spend: the change in the joint value is what moving that money costs (never positive at an optimum).
"""

from __future__ import annotations

import difflib
import re
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from optimizer import __version__
from optimizer.errors import InputError
from optimizer.formatting import money, num
from optimizer.milp import Block, Milp
from optimizer.model import add_campaign
from optimizer.pipeline import SolveOptions, solve_model, with_overrides
from optimizer.problem import Problem, load_problem
from optimizer.result import Result, VerificationFailed
from optimizer.resultdoc import BindingRule, Infeasibility, SolverInfo, VerificationInfo
from optimizer.rules import RuleSpec, register_rule, rule_text
from optimizer.scenario import resolve_path
from optimizer.solve import SolveOutcome, Status
from optimizer.verify import REL_TOL, Verification, verify_roster

SHARED_BUDGET = "shared_budget"
EXCLUSIVE = "exclusive"
POST_CAP = "posts_across_campaigns"
MOVE = "move_money"

register_rule(RuleSpec(SHARED_BUDGET, lambda b, cur: f"all campaigns together spend at most {money(b.limit, cur, 0)}",
                       conflict=lambda b, f: f"the shared budget is {f.money(b.limit)}"))  # fmt: skip
register_rule(RuleSpec(EXCLUSIVE, lambda b, cur: f"a creator works for at most one of {b.label.replace('|', ', ')}",
                       local=True))  # fmt: skip
register_rule(RuleSpec(POST_CAP, lambda b, cur: f"at most {b.limit:.0f} posts per creator across campaigns",
                       local=True))  # fmt: skip
register_rule(RuleSpec(MOVE, lambda b, cur: f"{b.label} spends at most {money(b.limit, cur, 0)}", relaxable=False))

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class PortfolioError(InputError):
    """A portfolio file that cannot be used as it is (exit 2)."""


# --- the portfolio file ----------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CampaignEntry(_Strict):
    """One campaign of the portfolio."""

    scenario: str = Field(..., description="Scenario file, relative to the portfolio file.")
    min_spend: float | None = Field(None, ge=0, description="Least this campaign spends (replaces its scenario's).")
    max_spend: float | None = Field(None, gt=0, description="Most this campaign spends [default: the shared budget].")

    @model_validator(mode="after")
    def _ordered(self) -> CampaignEntry:
        if self.min_spend is not None and self.max_spend is not None and self.min_spend > self.max_spend:
            raise ValueError(f"min_spend ({self.min_spend:g}) is greater than max_spend ({self.max_spend:g})")
        return self


class Portfolio(_Strict):
    """Several campaigns on one budget (see the module docstring)."""

    name: str = Field(..., min_length=1, description="Portfolio name, shown in every output.")
    budget: float = Field(..., gt=0, description="Shared budget: the most all campaigns together spend.")
    campaigns: dict[str, CampaignEntry] = Field(..., min_length=1, description="Campaign name -> its scenario.")
    exclusive: list[list[str]] = Field(
        default_factory=list, description="Groups of campaigns that may not share a creator."
    )
    max_posts_per_creator: int | None = Field(None, ge=1, description="Most posts one creator makes in all.")

    @field_validator("campaigns")
    @classmethod
    def _names(cls, value: dict[str, CampaignEntry]) -> dict[str, CampaignEntry]:
        bad = [n for n in value if not _NAME.match(n)]
        if bad:
            raise ValueError(f"campaign name(s) {', '.join(map(repr, bad))}: use letters, digits, '-', '_' or '.' "
                             "(a name is also a folder name)")  # fmt: skip
        return value

    @model_validator(mode="after")
    def _groups(self) -> Portfolio:
        names = list(self.campaigns)
        for pos, group in enumerate(self.exclusive):
            for name in group:
                if name not in self.campaigns:
                    close = difflib.get_close_matches(name, names, n=1)
                    tip = f"; did you mean '{close[0]}'?" if close else f"; the campaigns are {', '.join(names)}"
                    raise ValueError(f"exclusive[{pos}] names '{name}', not a campaign of this portfolio{tip}")
            if len(set(group)) < 2 or len(set(group)) != len(group):
                raise ValueError(f"exclusive[{pos}] must name two or more different campaigns (got {group})")
        return self


def _errors(exc: ValidationError, source: str) -> str:
    """The schema's complaints, one per line, naming the key path (with a did-you-mean for unknown keys)."""
    out = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        where = ".".join(str(p) for p in loc) or "(top level)"
        if err["type"] == "extra_forbidden":
            known = list(CampaignEntry.model_fields if "campaigns" in loc[:1] else Portfolio.model_fields)
            close = difflib.get_close_matches(str(loc[-1]), known, n=1)
            msg = f"unknown key '{loc[-1]}'" + (
                f"; did you mean '{close[0]}'?" if close else f" (allowed: {', '.join(known)})"
            )
        elif err["type"] == "missing":
            msg = "required key is missing"
        else:
            msg = err["msg"].removeprefix("Value error, ")
            if "input" in err and not isinstance(err["input"], dict | list):
                msg += f" (got {err['input']!r})"
        out.append(f"{source}: {where}: {msg}" if loc else f"{source}: {msg}")
    return "\n".join(out)


def parse_portfolio(data: Any, source: str = "portfolio") -> Portfolio:
    """Validate a portfolio given as a mapping.

    Raises
    ------
    PortfolioError
        Naming the key path of each problem.

    Examples
    --------
    >>> parse_portfolio({"name": "p", "budget": 10, "campaigns": {"a": {"scenario": "a.yaml"}}}).budget
    10.0
    """
    if not isinstance(data, dict):
        raise PortfolioError(
            f"{source}: expected a mapping of keys (name, budget, campaigns, ...), got {type(data).__name__}"
        )
    try:
        return Portfolio.model_validate(data)
    except ValidationError as exc:
        raise PortfolioError(_errors(exc, source)) from None


@dataclass
class PortfolioInput:
    """A validated portfolio with each campaign's scenario loaded (its own budget, as written)."""

    spec: Portfolio
    problems: dict[str, Problem]
    source: Path | None = None
    files: dict[str, Path] = field(default_factory=dict)


def load_portfolio(path: str | Path) -> PortfolioInput:
    """Read a portfolio file and every scenario it names.

    Raises
    ------
    PortfolioError
        Missing or malformed file, unknown keys or campaigns, a scenario file that is missing or fails
        (the message names the campaign), a min-cost scenario, different objectives or currencies.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PortfolioError(f"{path}: portfolio file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PortfolioError(f"{path}: cannot read the portfolio file ({exc})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise PortfolioError(f"{path}: not valid YAML{where}: {getattr(exc, 'problem', None) or exc}") from None
    spec = parse_portfolio(data, str(path))
    problems: dict[str, Problem] = {}
    files: dict[str, Path] = {}
    for name, entry in spec.campaigns.items():
        scenario = resolve_path(path, entry.scenario)
        if not scenario.exists():
            raise PortfolioError(f"{path}: campaigns.{name}.scenario: scenario file {scenario} not found "
                                 "(relative to the portfolio file)")  # fmt: skip
        try:
            problems[name] = load_problem(scenario)
        except InputError as exc:
            raise PortfolioError(f"{path}: campaign '{name}': {exc}") from None
        files[name] = scenario
    inp = PortfolioInput(spec, problems, path, files)
    check_input(inp)
    return inp


def check_input(inp: PortfolioInput) -> None:
    """Cross-check the campaigns: one metric, one currency, no min-cost scenario, one creator per id where coupled.

    Parameters
    ----------
    inp : PortfolioInput

    Raises
    ------
    PortfolioError
        Naming the campaigns (and, for an id that means two people, the id and both handles).
    """
    source = str(inp.source) if inp.source else "portfolio"
    spec, problems = inp.spec, inp.problems
    if set(spec.campaigns) != set(problems):
        raise PortfolioError(f"{source}: campaigns and loaded scenarios differ")
    for name, p in problems.items():
        if p.scenario.target is not None:
            raise PortfolioError(f"{source}: campaign '{name}' ({p.source}) finds the cheapest roster reaching a target; "
                                 "a portfolio maximises one value over campaigns that each maximise it")  # fmt: skip
        if p.scenario.risk is not None:
            raise PortfolioError(f"{source}: campaign '{name}' ({p.source}) has a risk: block; a portfolio maximises "
                                 "expected value over its campaigns (remove the block, or plan that campaign alone)")  # fmt: skip
    metrics = {name: p.scenario.objective for name, p in problems.items()}
    if len(set(metrics.values())) > 1:
        raise PortfolioError(f"{source}: the campaigns maximise different things "
                             f"({', '.join(f'{n}: {m}' for n, m in metrics.items())}); their values cannot be added: "
                             "give every campaign the same objective")  # fmt: skip
    currencies = {name: p.scenario.currency for name, p in problems.items()}
    if len(set(currencies.values())) > 1:
        raise PortfolioError(f"{source}: the campaigns use different currencies "
                             f"({', '.join(f'{n}: {c}' for n, c in currencies.items())}); one shared budget needs one")  # fmt: skip
    coupled: list[tuple[str, str]] = []
    names = list(problems)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            together = any(a in g and b in g for g in spec.exclusive) or spec.max_posts_per_creator is not None
            if together:
                coupled.append((a, b))
    for a, b in coupled:
        fa, fb = problems[a].pool.frame, problems[b].pool.frame
        shared = fa.index[problems[a].eligible.to_numpy()].intersection(fb.index[problems[b].eligible.to_numpy()])
        if not len(shared):
            continue
        differ = shared[(fa.loc[shared, "handle"].to_numpy() != fb.loc[shared, "handle"].to_numpy())
                        | (fa.loc[shared, "platform"].to_numpy() != fb.loc[shared, "platform"].to_numpy())]  # fmt: skip
        if len(differ):
            c = differ[0]
            raise PortfolioError(
                f"{source}: creator_id {c} is {fa.at[c, 'handle']} ({fa.at[c, 'platform']}) in campaign '{a}' but "
                f"{fb.at[c, 'handle']} ({fb.at[c, 'platform']}) in campaign '{b}' ({len(differ)} such ids): the shared "
                "rules treat one id as one creator, so coupled campaigns need pools with the same ids for the same people"
            )


def campaign_problems(inp: PortfolioInput) -> dict[str, Problem]:
    """Each campaign's scenario with the shared budget replacing its own (see the module docstring).

    Parameters
    ----------
    inp : PortfolioInput

    Returns
    -------
    dict
        Campaign name -> `Problem` with ``budget`` = its cap and ``min_spend`` = its floor.

    Raises
    ------
    PortfolioError
        When a campaign's floor is above its cap, or its scenario does not hold with the new budget.
    """
    out: dict[str, Problem] = {}
    for name, problem in inp.problems.items():
        entry = inp.spec.campaigns[name]
        cap = entry.max_spend if entry.max_spend is not None else inp.spec.budget
        overrides: dict[str, Any] = {"budget": cap}
        if entry.min_spend is not None:
            overrides["min_spend"] = entry.min_spend
        floor = overrides.get("min_spend", problem.scenario.min_spend)
        if floor is not None and floor > cap:
            raise PortfolioError(f"{inp.source or 'portfolio'}: campaign '{name}' must spend at least {money(floor)} but "
                                 f"may spend at most {money(cap)} (max_spend, else the shared budget)")  # fmt: skip
        try:
            out[name] = with_overrides(problem, overrides)
        except InputError as exc:
            raise PortfolioError(
                f"{inp.source or 'portfolio'}: campaign '{name}' with the shared budget: {exc}"
            ) from None
    return out


# --- the model -----------------------------------------------------------------------------------------


def build_portfolio_model(spec: Portfolio, problems: dict[str, Problem]) -> Milp:
    """One MILP over every campaign (owners are (campaign, creator) pairs) with the shared rules.

    Parameters
    ----------
    spec : Portfolio
    problems : dict
        Campaign name -> `Problem`, from `campaign_problems`.

    Returns
    -------
    Milp
        Maximising the sum of the campaigns' values; expressions ``value[name]`` and ``cost[name]`` per
        campaign, ``value`` and ``cost`` for all.
    """
    ids = sorted(set().union(*(set(p.eligible.index[p.eligible.to_numpy()]) for p in problems.values())))
    milp = Milp(maximise=True, creator_ids=np.array(ids, dtype=object), campaigns=[])
    index = pd.Index(ids)
    value_cols, value_coefs, cost_cols, cost_coefs = [], [], [], []
    for name, problem in problems.items():
        ctx = add_campaign(milp, problem, name, index)
        for term, (cols, coefs) in ctx.value_terms.items():
            milp.add_objective(term, cols, coefs)
        milp.expressions[f"value[{name}]"] = ctx.value_expression()
        milp.expressions[f"cost[{name}]"] = (ctx.post_cols, ctx.col_cost)
        value_cols.append(ctx.value_expression()[0])
        value_coefs.append(ctx.value_expression()[1])
        cost_cols.append(ctx.post_cols)
        cost_coefs.append(ctx.col_cost)
    milp.expressions["value"] = (np.concatenate(value_cols), np.concatenate(value_coefs))
    milp.expressions["cost"] = (np.concatenate(cost_cols), np.concatenate(cost_coefs))
    milp.add_block(Block.single(SHARED_BUDGET, "", spec.budget, *milp.expressions["cost"], "<=", spec.budget))
    posts = np.flatnonzero(milp.kind == "post")
    post_owner = milp.owner[posts]
    creator_of = milp.owner_creator
    campaign_no = {name: i for i, name in enumerate(milp.campaigns)}
    for group in spec.exclusive:
        members = np.flatnonzero(np.isin(milp.owner_campaign, [campaign_no[g] for g in group]))
        _per_creator_rows(milp, EXCLUSIVE, "|".join(group), 1, creator_of[members], milp.first_col[members])
    if spec.max_posts_per_creator is not None:
        _per_creator_rows(milp, POST_CAP, "", spec.max_posts_per_creator, creator_of[post_owner], posts)
    return milp


def _per_creator_rows(milp: Milp, kind: str, label: str, limit: int, creators: np.ndarray, cols: np.ndarray) -> None:
    """One row ``sum cols of creator c <= limit`` per creator with more than `limit` such columns."""
    order = np.argsort(creators, kind="stable")
    creators, cols = creators[order], cols[order]
    counts = np.bincount(creators, minlength=len(milp.creator_ids))
    busy = np.flatnonzero(counts > limit)
    keep = np.isin(creators, busy)
    if not keep.any():
        return
    rows = np.searchsorted(busy, creators[keep])
    names = [f"{kind}[{label + ':' if label else ''}{milp.creator_ids[c]}]" for c in busy]
    milp.add_block(Block(kind, label, float(limit), names, rows, cols[keep], np.ones(int(keep.sum())), "<=",
                         np.full(len(busy), float(limit))))  # fmt: skip


def check_shared(spec: Portfolio, problems: dict[str, Problem], rosters: dict[str, dict[str, int]]) -> Verification:
    """The shared rules, re-checked from the rosters and the pools with plain loops (not the model).

    Parameters
    ----------
    spec : Portfolio
    problems : dict
        Campaign name -> `Problem` (prices come from its pool).
    rosters : dict
        Campaign name -> roster (creator id -> posts).

    Returns
    -------
    Verification
        ``total_cost`` is the spend of all campaigns together.
    """
    bad: list[str] = []
    checks = ["all campaigns together within the shared budget"]
    total = 0.0
    for name, roster in rosters.items():
        frame = problems[name].pool.frame
        total += sum(float(frame.at[c, "cost"]) * k for c, k in roster.items())
    if total > spec.budget + REL_TOL * max(1.0, spec.budget):
        bad.append(f"the campaigns spend {total:,.2f} together, more than the shared budget {spec.budget:,.2f}")
    for group in spec.exclusive:
        checks.append(f"no creator in two of {', '.join(group)}")
        seen: dict[str, str] = {}
        for name in group:
            for cid in rosters.get(name, {}):
                if cid in seen:
                    bad.append(f"{cid} works for both {seen[cid]} and {name}, which are exclusive")
                seen.setdefault(cid, name)
    if spec.max_posts_per_creator is not None:
        checks.append(f"at most {spec.max_posts_per_creator} posts per creator across campaigns")
        posts: dict[str, int] = {}
        for roster in rosters.values():
            for cid, k in roster.items():
                posts[cid] = posts.get(cid, 0) + k
        for cid, k in sorted(posts.items()):
            if k > spec.max_posts_per_creator:
                bad.append(f"{cid} makes {k} posts across campaigns, more than {spec.max_posts_per_creator}")
    return Verification(not bad, bad, checks, total_cost=total)


# --- solving -----------------------------------------------------------------------------------------


@dataclass
class Move:
    """The joint value after moving `amount` from one campaign's spend to another's, by re-solving."""

    source: str
    target: str
    amount: float
    status: str
    value: float | None = None
    change: float | None = None
    note: str = ""


@dataclass
class Plan:
    """What `plan` found."""

    spec: Portfolio
    problems: dict[str, Problem]
    status: str
    message: str
    outcome: SolveOutcome | None = None
    rosters: dict[str, dict[str, int]] = field(default_factory=dict)
    checks: dict[str, Verification] = field(default_factory=dict)
    shared: Verification | None = None
    values: dict[str, float] = field(default_factory=dict)
    spend: dict[str, float] = field(default_factory=dict)
    moves: list[Move] = field(default_factory=list)
    binding: list[dict[str, str]] = field(default_factory=list)
    conflict: list[str] = field(default_factory=list)
    reduction: Any = None
    timings: dict[str, float] = field(default_factory=dict)
    source: Path | None = None
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def value(self) -> float:
        """The joint value (sum over campaigns)."""
        return float(sum(self.values.values()))

    @property
    def exit_code(self) -> int:
        """0 solved, 3 infeasible, 1 anything else."""
        return {"optimal": 0, "feasible": 0, "infeasible": 3}.get(self.status, 1)


def plan(inp: PortfolioInput, options: SolveOptions | None = None, move: float = 1000.0) -> Plan:
    """Solve the portfolio: the joint optimum, each campaign verified, the shared rules checked, money moved.

    Parameters
    ----------
    inp : PortfolioInput
        From `load_portfolio` (or built in memory).
    options : SolveOptions, optional
    move : float
        Amount moved between each ordered pair of campaigns when re-solving (0: skip).

    Returns
    -------
    Plan

    Raises
    ------
    VerificationFailed
        If a campaign's roster or the shared rules fail their independent check (a bug: nothing is written).
    """
    options = options or SolveOptions()
    began = time.perf_counter()
    problems = campaign_problems(inp)
    milp = build_portfolio_model(inp.spec, problems)
    timings = {"build": round(time.perf_counter() - began, 4)}
    solved = solve_model(milp, options)
    timings.update(solved.timings)
    out = Plan(inp.spec, problems, "error", "", solved.outcome, reduction=solved.reduction, timings=timings,
               source=inp.source, files=dict(inp.files))  # fmt: skip
    outcome = solved.outcome
    if outcome.status == Status.INFEASIBLE:
        out.status = "infeasible"
        out.conflict, out.message = _explain(inp.spec, problems, milp, options)
        return out
    if not outcome.has_solution:
        out.message = "The solver found no plan within the time limit; raise --time-limit."
        return out
    values = outcome.values
    for i, name in enumerate(milp.campaigns):
        roster = milp.posts(values, campaign=i)  # type: ignore[arg-type]
        check = verify_roster(problems[name], roster, reported_value=milp.expression_value(f"value[{name}]", values))  # type: ignore[arg-type]
        if not check.passed:
            raise VerificationFailed(f"Campaign '{name}' failed the independent check, so nothing was written: "
                                     + "; ".join(check.violations))  # fmt: skip
        out.rosters[name], out.checks[name] = roster, check
        out.values[name], out.spend[name] = check.value, check.total_cost
    out.shared = check_shared(inp.spec, problems, out.rosters)
    if not out.shared.passed:
        raise VerificationFailed("The plan failed the check of the shared rules, so nothing was written: "
                                 + "; ".join(out.shared.violations))  # fmt: skip
    from optimizer.diagnose import binding_rules

    out.binding = binding_rules(milp, values, _currency(problems))  # type: ignore[arg-type]
    out.status = outcome.status.value
    out.message = (f"Optimal plan for {len(problems)} campaigns, proven for the portfolio as a whole."
                   if out.status == "optimal" else "Best plan found within the limit; optimality was not proven.")  # fmt: skip
    clock = time.perf_counter()
    if move > 0 and len(problems) > 1:
        out.moves = _moves(milp, out, move, options)
    timings["moves"] = round(time.perf_counter() - clock, 4)
    return out


def _currency(problems: dict[str, Problem]) -> str:
    return next(iter(problems.values())).scenario.currency


def _moves(milp: Milp, out: Plan, amount: float, options: SolveOptions) -> list[Move]:
    """Re-solve with `amount` moved from each campaign to each other one (other campaigns held at their spend)."""
    moves = []
    best = float(out.outcome.objective)  # type: ignore[union-attr, arg-type]
    cur = _currency(out.problems)
    for a in milp.campaigns:
        for b in milp.campaigns:
            if a == b:
                continue
            floor = out.problems[a].scenario.min_spend or 0.0
            if out.spend[a] - amount < floor - 1e-9:
                why = f"{a} spends {money(out.spend[a], cur)}" + (
                    f" and must spend at least {money(floor, cur)}" if floor else ""
                )
                moves.append(Move(a, b, amount, "not possible", note=why))
                continue
            model = replace(milp, blocks=list(milp.blocks))
            for name in milp.campaigns:
                cap = out.spend[name] + (-amount if name == a else amount if name == b else 0.0)
                cols, coefs = milp.expressions[f"cost[{name}]"]
                model.add_block(Block.single(MOVE, name, cap, cols, coefs, "<=", cap))
            solved = solve_model(model, options)
            o = solved.outcome
            if o.status == Status.INFEASIBLE:
                moves.append(Move(a, b, amount, "infeasible", note="no plan meets every rule after the move"))
            elif not o.has_solution:
                moves.append(Move(a, b, amount, "error", note="no plan within the time limit"))
            else:
                moves.append(Move(a, b, amount, o.status.value, float(o.objective), float(o.objective) - best))  # type: ignore[arg-type]
    return moves


def _explain(spec: Portfolio, problems: dict[str, Problem], milp: Milp, options: SolveOptions) -> tuple[list[str], str]:
    """Which requirements cannot hold together: a deletion filter over every rule of every campaign and the
    shared ones; with facts from the pool when the conflict lies within one campaign."""
    from optimizer.diagnose import describe, find_conflict

    keys = find_conflict(milp, options.solver, options.time_limit or 30.0)
    if keys is None:
        return [], "The portfolio is infeasible, but the conflicting rules could not be isolated within the time limit."
    if not keys:
        return [], "No plan is possible even before any rule: check each campaign's eligibility rules."
    by_key = {b.key: b for b in milp.blocks}
    owners = {by_key[k].campaign for k in keys}
    if len(owners) == 1 and "" not in owners:
        name = owners.pop()
        return keys, f"Campaign '{name}': " + describe(problems[name], milp, keys)
    cur = _currency(problems)
    words = [f"{by_key[k].campaign}: {rule_text(by_key[k], cur)}" if by_key[k].campaign else rule_text(by_key[k], cur)
             for k in keys]  # fmt: skip
    lead = "This requirement cannot be met: " if len(keys) == 1 else "These requirements cannot all hold together: "
    return keys, lead + "; ".join(words) + "." + (" Relax any one of them to get a plan." if len(keys) > 1 else "")


# --- outputs ----------------------------------------------------------------------------------------------


class PortfolioCampaign(BaseModel):
    """One campaign's line of portfolio.json."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    name: str
    scenario: str
    scenario_file: str | None
    folder: str
    min_spend: float | None
    max_spend: float
    total_cost: float
    value: float
    roster_size: int
    total_posts: int
    verification: VerificationInfo


class MoveRow(BaseModel):
    """The joint value after moving money from one campaign to another (re-solved)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    from_campaign: str
    to_campaign: str
    amount: float
    status: str
    objective_value: float | None
    value_change: float | None
    note: str


class PortfolioDoc(BaseModel):
    """portfolio.json."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    tool: str
    version: str
    portfolio: str
    portfolio_file: str | None
    status: Literal["optimal", "feasible", "infeasible", "error"]
    message: str
    objective: str
    objective_value: float | None
    bound: float | None
    gap: float | None
    budget: float
    total_cost: float
    currency: str
    exclusive: list[list[str]]
    max_posts_per_creator: int | None
    campaigns: list[PortfolioCampaign]
    shared_check: VerificationInfo | None
    binding_rules: list[BindingRule]
    moves: list[MoveRow]
    infeasibility: Infeasibility | None
    solver: SolverInfo
    reduction: dict[str, Any] | None
    timings_seconds: dict[str, float]


def portfolio_doc(p: Plan, options: SolveOptions) -> PortfolioDoc:
    """portfolio.json for a plan (a typed document; every figure from the plan's verified rosters)."""
    o = p.outcome
    solved = p.status in ("optimal", "feasible")
    rows = []
    if solved:
        for name, problem in p.problems.items():
            v = p.checks[name]
            rows.append({"name": name, "scenario": problem.scenario.name,
                         "scenario_file": str(p.files[name]) if name in p.files else None, "folder": name,
                         "min_spend": problem.scenario.min_spend, "max_spend": problem.scenario.budget,
                         "total_cost": round(p.spend[name], 2), "value": p.values[name],
                         "roster_size": len(p.rosters[name]), "total_posts": int(sum(p.rosters[name].values())),
                         "verification": {"passed": v.passed, "checks": v.checks, "violations": v.violations}})  # fmt: skip
    first = next(iter(p.problems.values())).scenario
    doc = {
        "tool": "creator-roster", "version": __version__, "portfolio": p.spec.name,
        "portfolio_file": str(p.source) if p.source else None, "status": p.status, "message": p.message,
        "objective": first.objective, "objective_value": p.value if solved else None,
        "bound": o.bound if o and solved else None, "gap": o.gap if o and solved else None,
        "budget": p.spec.budget, "total_cost": round(sum(p.spend.values()), 2), "currency": first.currency,
        "exclusive": [list(g) for g in p.spec.exclusive], "max_posts_per_creator": p.spec.max_posts_per_creator,
        "campaigns": rows,
        "shared_check": {"passed": p.shared.passed, "checks": p.shared.checks, "violations": p.shared.violations}
        if p.shared else None,
        "binding_rules": p.binding,
        "moves": [{"from_campaign": m.source, "to_campaign": m.target, "amount": m.amount, "status": m.status,
                   "objective_value": m.value, "value_change": m.change, "note": m.note} for m in p.moves],
        "infeasibility": {"rules": p.conflict, "explanation": p.message} if p.status == "infeasible" else None,
        "solver": {"name": o.solver if o else options.solver, "status": o.status.value if o else None,
                   "seconds": round(o.seconds, 4) if o else None, "time_limit": options.time_limit,
                   "gap_setting": options.gap},
        "reduction": p.reduction.to_dict() if p.reduction else None, "timings_seconds": p.timings,
    }  # fmt: skip
    return PortfolioDoc.model_validate(doc)


def campaign_results(p: Plan, out: Path, options: SolveOptions) -> dict[str, Result]:
    """One `Result` per campaign, for its own folder (status ``feasible``: the proof is the portfolio's)."""
    results = {}
    cur = _currency(p.problems)
    shared = [b for b in p.binding if "/" not in b["rule"]]
    for i, (name, problem) in enumerate(p.problems.items()):
        mine = replace(problem, scenario_path=out / name / "scenario.yaml")
        binding = [{"rule": b["rule"].split("/", 1)[1], "text": b["text"]} for b in p.binding
                   if b["rule"].startswith(f"{name}/")] + shared  # fmt: skip
        o = p.outcome
        outcome = SolveOutcome(Status.OPTIMAL, None, p.values[name], None, None, o.solver if o else options.solver,
                               o.seconds if o else 0.0)  # fmt: skip
        part = {"name": p.spec.name, "file": str(out / "portfolio.json"), "campaign": name, "status": p.status,
                "objective_value": p.value, "bound": o.bound if o else None, "gap": o.gap if o else None,
                "budget": p.spec.budget, "total_cost": round(sum(p.spend.values()), 2)}  # fmt: skip
        message = (f"Campaign {i + 1} of {len(p.problems)} of portfolio '{p.spec.name}': part of the plan proven "
                   f"{p.status} for the portfolio as a whole (portfolio.json); this roster alone is a feasible roster "
                   f"of its scenario with {money(problem.scenario.budget, cur)} as its budget.")  # fmt: skip
        results[name] = Result(mine, "feasible", p.rosters[name], outcome, p.checks[name], message=message,
                               settings=options.settings(), binding=binding, sections={"portfolio": part})  # fmt: skip
    return results


def plan_files(p: Plan, out: Path, options: SolveOptions) -> dict[Path, dict[str, str | bytes]]:
    """Folder -> files: each campaign's result.json, roster.csv and scenario.yaml; portfolio.json in `out`.

    Every campaign's result is audited against the scenario written with it before anything is returned.

    Parameters
    ----------
    p : Plan
    out : Path
        The output folder (campaign folders go inside it).
    options : SolveOptions

    Returns
    -------
    dict
        Folder -> {file name -> contents}, campaign folders first (write portfolio.json last).

    Raises
    ------
    VerificationFailed
        If a campaign's result fails its audit (a bug: nothing is written).
    """
    from optimizer.audit import audit_result
    from optimizer.output import result_files
    from optimizer.scenario_copy import scenario_copy

    files: dict[Path, dict[str, str | bytes]] = {}
    if p.status in ("optimal", "feasible"):
        for name, result in campaign_results(p, out, options).items():
            doc = result.to_doc()
            check = audit_result(result.problem, doc.model_dump(mode="json"))
            if not check.passed:
                raise VerificationFailed(f"Campaign '{name}' failed its audit, so nothing was written: "
                                         + "; ".join(check.violations))  # fmt: skip
            folder = out / name
            header = (f"Written by `roster plan` for campaign '{name}' of {p.source or 'the portfolio'}: its scenario "
                      f"({p.files.get(name)}) with the portfolio's\nspend cap as budget. Check the result with: "
                      "roster verify <this file> result.json")  # fmt: skip
            entry = result_files(result, doc)
            entry["scenario.yaml"] = scenario_copy(result.problem.scenario, p.files.get(name), folder, header)
            files[folder] = entry
    files[out] = {"portfolio.json": portfolio_doc(p, options).model_dump_json(indent=2) + "\n"}
    return files


def plan_text(doc: PortfolioDoc, written: list[Path] | None = None) -> str:
    """What `roster plan` prints: the proof, a table of campaigns, and what moving money does."""
    cur = doc.currency
    lines = [f"{doc.portfolio}: {doc.status} ({doc.message})"]
    if doc.status in ("optimal", "feasible"):
        proof = (
            f"proven bound {num(doc.bound)}; gap {doc.gap:.4%}"
            if doc.bound is not None and doc.gap is not None
            else "no proven bound"
        )
        lines.append(f"  Value {num(doc.objective_value)} {doc.objective} across campaigns; {proof}")
        lines.append(f"  Shared budget {money(doc.budget, cur)}: {money(doc.total_cost, cur)} spent")
        width = max([len("campaign")] + [len(c.name) for c in doc.campaigns])
        lines.append(
            f"  {'campaign':<{width}}  {'spend':>12}  {'cap':>12}  {doc.objective:>14}  creators  posts  verified"
        )
        for c in doc.campaigns:
            lines.append(f"  {c.name:<{width}}  {money(c.total_cost, cur):>12}  {money(c.max_spend, cur):>12}  "
                         f"{num(c.value):>14}  {c.roster_size:>8}  {c.total_posts:>5}  "
                         f"{'passed' if c.verification.passed else 'FAILED'}")  # fmt: skip
        if doc.moves:
            lines.append(
                f"  Moving {money(doc.moves[0].amount, cur, 0)} between campaigns (re-solved; others held at their spend):"
            )
            for m in doc.moves:
                if m.value_change is None:
                    what = f"{m.status}: {m.note}"
                elif abs(m.value_change) <= 1e-6 * max(1.0, abs(doc.objective_value or 0.0)):
                    what = f"no change in {doc.objective}"
                else:
                    what = f"{'gains' if m.value_change > 0 else 'loses'} {num(abs(m.value_change))} {doc.objective}"
                lines.append(f"    from {m.from_campaign} to {m.to_campaign}: {what}")
        if doc.binding_rules:
            lines.append("  Rules that bind: " + "; ".join(b.rule.split("/")[0] + ": " + b.text if "/" in b.rule
                                                            else b.text for b in doc.binding_rules))  # fmt: skip
        if doc.shared_check is not None:
            lines.append(f"  Shared rules: {'passed' if doc.shared_check.passed else 'FAILED'} "
                         f"({len(doc.shared_check.checks)} checked independently); each campaign verified against its "
                         "own scenario with its cap as budget")  # fmt: skip
        lines.append(f"  Solver: {doc.solver.name} {doc.solver.status} in {doc.solver.seconds or 0:.2f} s")
    if written:
        lines.append("Wrote " + ", ".join(str(w) for w in written))
    return "\n".join(lines)
