"""Named exceptions raised by the library and translated to exit codes only by the CLI.

Each carries a one-paragraph message written for the planner, naming the file, row, key and value.
"""

from __future__ import annotations


class RosterError(Exception):
    """Base class of every error the tool reports without a traceback."""

    exit_code = 1


class InputError(RosterError):
    """Bad input: a scenario, pool or overlap file that cannot be used as it is."""

    exit_code = 2


class ScenarioError(InputError):
    """The scenario file is missing, malformed, or breaks the schema."""


class PoolError(InputError):
    """The creator pool file is missing, malformed, or inconsistent with the scenario."""


class OverlapError(InputError):
    """The overlap file is missing, malformed, or names unknown creators."""


class HistoryError(InputError):
    """A post history file (for `roster calibrate`) is missing, malformed, or has impossible values."""


class CalibrationError(InputError):
    """A calibration file named by a scenario cannot be used."""


class ResultFileError(InputError):
    """A result.json given to `roster verify` cannot be read."""


class SolverError(RosterError):
    """The solver failed to run or returned no usable answer."""

    exit_code = 1
