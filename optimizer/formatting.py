"""How numbers are written for people: money, shares and plain figures, one function each.

Every output (terminal, report, spreadsheet labels, explanations) formats through here, so a currency
or a rounding rule changes in one place.
"""

from __future__ import annotations

import math
from typing import Any


def money(amount: float | None, currency: str = "USD", decimals: int = 2) -> str:
    """An amount with its currency: ``$1,234.50`` for USD, ``1,234.50 EUR`` otherwise; ``n/a`` for None.

    Examples
    --------
    >>> money(1234.5), money(1234.6, "EUR", 0), money(None)
    ('$1,234.50', '1,235 EUR', 'n/a')
    """
    if amount is None or (isinstance(amount, float) and math.isnan(amount)):
        return "n/a"
    text = f"{amount:,.{decimals}f}"
    if currency == "USD":
        return f"-${text[1:]}" if text.startswith("-") else f"${text}"
    return f"{text} {currency}"


def pct(share: float | None, decimals: int = 1) -> str:
    """A share as a percentage; ``n/a`` for None.

    Examples
    --------
    >>> pct(0.4567), pct(0.4, 0), pct(None)
    ('45.7%', '40%', 'n/a')
    """
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return "n/a"
    return f"{share:.{decimals}%}"


def num(x: Any, decimals: int = 2) -> str:
    """A plain figure with thousands separators; ``n/a`` for None.

    Examples
    --------
    >>> num(12345.678), num(3, 0), num(None)
    ('12,345.68', '3', 'n/a')
    """
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{x:,.{decimals}f}"
