"""Published returns of influencer campaigns, and the check of a forecast's returns against them.

A forecast far above what campaigns are reported to return usually means a misapplied rate (the first
release read a per-click purchase rate as per engagement and forecast a 2,248% ROI). result.json lists
every figure outside its published range (`return_flags`) and the report shows them next to the figure.
The ranges and the reasoning behind the thresholds are in docs/forecast.md ("Returns against published
figures") and docs/decisions.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PublishedRange:
    """A published range of one return figure.

    Attributes
    ----------
    figure : str
        The result.json field (``roi``, ``emv_per_dollar``).
    low, high : float
        The range, in the figure's own unit.
    unit : str
    source : str
    below : str
        Why a forecast below the range can still be plausible.
    """

    figure: str
    low: float
    high: float
    unit: str
    source: str
    below: str


PUBLISHED: dict[str, PublishedRange] = {
    "roi": PublishedRange(
        "roi", 3.0, 5.0, "(revenue - spend) / spend",
        "the 3-5x ROI claimed for micro-influencer campaigns (founding document, as read in DOMAIN.md)",
        "claims come from campaigns that chose to report them, and many campaigns lose money, so a lower forecast "
        "is plausible",
    ),
    "emv_per_dollar": PublishedRange(
        "emv_per_dollar", 5.78, 18.0, "EMV per currency unit spent",
        "Influencer Marketing Hub survey: $5.78 of earned media value per $1 on average, up to $18",
        "survey EMV definitions count more actions at higher values, while CPM-based EMV counts impressions only, "
        "so a lower forecast is plausible",
    ),
}  # fmt: skip


def _words(figure: str, value: float) -> str:
    return f"{value:.0%}" if figure == "roi" else f"{value:,.2f}"


def return_flags(figures: dict[str, float | None]) -> list[dict[str, Any]]:
    """Every return figure outside its published range, with what to check.

    Above the range is a warning: published figures are survey averages of campaigns that reported, so a
    forecast above their top is more likely a misapplied rate than a great campaign. Below the range is a
    note: CPM-based EMV counts impressions only, and many campaigns lose money.

    Parameters
    ----------
    figures : dict
        ``roi`` and ``emv_per_dollar`` as in result.json (None when not computed).

    Returns
    -------
    list of dict
        ``figure``, ``value``, ``low``, ``high``, ``unit``, ``position`` ("above" or "below"), ``level``
        ("warning" or "note"), ``source`` and ``message``.

    Examples
    --------
    >>> [f["position"] for f in return_flags({"roi": 22.48, "emv_per_dollar": 6.0})]
    ['above']
    """
    flags = []
    for name, rng in PUBLISHED.items():
        value = figures.get(name)
        if value is None or rng.low <= value <= rng.high:
            continue
        above = value > rng.high
        span = f"{_words(name, rng.low)} to {_words(name, rng.high)}"
        if above:
            message = (
                f"Forecast {name} {_words(name, value)} is above the published range ({span}; {rng.source}). "
                "Check the funnel (click_rate, purchase_rate, or a per-engagement conversion_rate), the "
                "average_order_value and the EMV settings before trusting it."
            )
        else:
            message = (
                f"Forecast {name} {_words(name, value)} is below the published range ({span}; {rng.source}): "
                f"{rng.below}. Say so when comparing with published figures."
            )
        flags.append({"figure": name, "value": float(value), "low": rng.low, "high": rng.high, "unit": rng.unit,
                      "position": "above" if above else "below", "level": "warning" if above else "note",
                      "source": rng.source, "message": message})  # fmt: skip
    return flags
