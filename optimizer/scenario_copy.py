"""A scenario written next to a result it produced, so that `roster verify` and `roster report` work on that folder.

`roster replace` (declines, bookings, renegotiated prices) and `roster plan` (a campaign whose budget the
portfolio replaced) answer a scenario that is not the file the planner wrote. They write that scenario into
the result folder: every setting as validated (defaults left out), the pool, overlap and calibration paths
rebased so they still point at the same files from the new folder. The text is parsed back before it is
returned, so a copy that would not load the same scenario is never written.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from optimizer.scenario import Scenario, parse_scenario, resolve_path

_PATH_KEYS = ("pool", "overlap", "calibration")


def scenario_copy(scenario: Scenario, source: Path | None, folder: Path, header: str) -> str:
    """The YAML text of `scenario` for a file in `folder`, its file paths rebased from `source`'s folder.

    Parameters
    ----------
    scenario : Scenario
        The scenario the result answers.
    source : Path or None
        The scenario file its relative paths are relative to.
    folder : Path
        Where the copy will be written.
    header : str
        Comment lines (without ``#``) saying where the copy comes from.

    Returns
    -------
    str
    """
    data = scenario.model_dump(mode="json", exclude_defaults=True)
    data["name"] = scenario.name  # always written, whatever the defaults
    for key in _PATH_KEYS:
        if data.get(key):
            target = resolve_path(source, data[key]).resolve()
            data[key] = os.path.relpath(target, folder.resolve())
    comments = "".join(f"# {line}\n" for line in header.splitlines())
    text = comments + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    again = parse_scenario(yaml.safe_load(text), str(folder / "scenario.yaml"))
    want = scenario.model_dump(mode="json", exclude=set(_PATH_KEYS))
    if again.model_dump(mode="json", exclude=set(_PATH_KEYS)) != want:  # pragma: no cover - a bug, never written
        raise RuntimeError("the scenario copy does not read back as the same scenario")
    return text
