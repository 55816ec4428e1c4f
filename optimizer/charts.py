"""Small inline SVG charts for the report: no library, no network, every label escaped.

Each function returns an ``<svg>`` string sized by its arguments; text from a pool is escaped here.
"""

from __future__ import annotations

import re
from html import escape
from typing import Any

PALETTE = ("#2f6f4f", "#d08c2b", "#4a6fa5", "#a54a6f", "#6fa54a", "#8a6fa5", "#a58a4a", "#4aa5a0")


def _fmt(x: float) -> str:
    if abs(x) >= 1e6:
        return f"{x / 1e6:.1f}M"
    if abs(x) >= 1e3:
        return f"{x / 1e3:.1f}k"
    return f"{x:.0f}" if abs(x) >= 10 else f"{x:.2f}"


def bar_chart(labels: list[str], series: dict[str, list[float]], title: str, width: int = 560) -> str:
    """Horizontal grouped bars, one group per label, one bar per series (e.g. spend and value)."""
    n, k = len(labels), max(1, len(series))
    row = 16 * k + 10
    left, top = 170, 30
    height = top + row * max(n, 1) + 30
    peak = {name: max([*values, 1e-12]) for name, values in series.items()}
    parts = [f'<svg class="chart" role="img" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg" '
             f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
             f'<text x="0" y="16" class="title">{escape(title)}</text>']  # fmt: skip
    span = width - left - 70
    for i, label in enumerate(labels):
        y0 = top + i * row
        short = label if len(label) <= 26 else label[:25] + "…"
        parts.append(f'<text x="{left - 6}" y="{y0 + row / 2 + 2:.1f}" text-anchor="end">{escape(short)}</text>')
        for j, (name, values) in enumerate(series.items()):
            w = span * values[i] / peak[name]
            y = y0 + 4 + 16 * j
            parts.append(f'<rect x="{left}" y="{y}" width="{max(w, 0.5):.1f}" height="13" fill="{PALETTE[j % len(PALETTE)]}">'
                         f"<title>{escape(label)}: {escape(name)} {values[i]:,.2f}</title></rect>")  # fmt: skip
            parts.append(f'<text x="{left + w + 4:.1f}" y="{y + 11}" class="small">{_fmt(values[i])}</text>')
    for j, name in enumerate(series):
        x = left + j * 150
        parts.append(f'<rect x="{x}" y="{height - 18}" width="10" height="10" fill="{PALETTE[j % len(PALETTE)]}"/>'
                     f'<text x="{x + 14}" y="{height - 9}" class="small">{escape(name)}</text>')  # fmt: skip
    parts.append("</svg>")
    return "".join(parts)


def _plot_frame(
    title: str, xlabel: str, ylabel: str, width: int, height: int, xmax: float, ymax: float
) -> tuple[list[str], Any]:
    """The opening tag, title, axes, axis labels and half/full ticks; returns the parts and a point mapper."""
    left, bottom, top, right = 60, 40, 30, 20
    sx = (width - left - right) / (xmax or 1.0)
    sy = (height - top - bottom) / (ymax or 1.0)
    parts = [f'<svg class="chart" role="img" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg" '
             f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
             f'<text x="0" y="16" class="title">{escape(title)}</text>',
             f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" class="axis"/>',
             f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" class="axis"/>',
             f'<text x="{(width + left) / 2}" y="{height - 6}" text-anchor="middle" class="small">{escape(xlabel)}</text>',
             f'<text x="12" y="{height / 2}" transform="rotate(-90 12 {height / 2})" text-anchor="middle" class="small">'
             f"{escape(ylabel)}</text>"]  # fmt: skip
    for frac in (0.5, 1.0):
        parts.append(f'<text x="{left + frac * xmax * sx:.1f}" y="{height - bottom + 14}" text-anchor="middle" '
                     f'class="small">{_fmt(frac * xmax)}</text>')  # fmt: skip
        parts.append(f'<text x="{left - 4}" y="{height - bottom - frac * ymax * sy + 4:.1f}" text-anchor="end" '
                     f'class="small">{_fmt(frac * ymax)}</text>')  # fmt: skip

    def at(x: float, y: float) -> tuple[float, float]:
        return left + x * sx, height - bottom - y * sy

    return parts, at


def scatter(points: list[tuple[float, float, bool, str]], title: str, xlabel: str, ylabel: str,
            width: int = 560, height: int = 360) -> str:  # fmt: skip
    """Cost vs value per creator; chosen creators drawn on top, highlighted. Points: (x, y, chosen, label)."""
    xmax = max([p[0] for p in points] or [1.0]) or 1.0
    ymax = max([p[1] for p in points] or [1.0]) or 1.0
    parts, at = _plot_frame(title, xlabel, ylabel, width, height, xmax, ymax)
    for chosen in (False, True):
        for x, y, c, label in points:
            if c == chosen:
                cx, cy = at(x, y)
                parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{4 if c else 2}" class="{"picked" if c else "pool"}">'
                             f"<title>{escape(label)}</title></circle>")  # fmt: skip
    parts.append("</svg>")
    return "".join(parts)


def line_chart(xs: list[float], ys: list[float | None], title: str, xlabel: str, ylabel: str,
               marker: float | None = None, width: int = 560, height: int = 300) -> str:  # fmt: skip
    """A line through (x, y) points (None gaps are skipped), with an optional vertical marker."""
    pts = [(x, y) for x, y in zip(xs, ys) if y is not None]
    xmax = max(xs) if xs else 1.0
    ymax = max([p[1] for p in pts] + [1e-12])
    parts, at = _plot_frame(title, xlabel, ylabel, width, height, xmax, ymax)
    path = " ".join(f"{'M' if i == 0 else 'L'}{at(x, y)[0]:.1f},{at(x, y)[1]:.1f}" for i, (x, y) in enumerate(pts))
    parts.append(f'<path d="{path}" class="line"/>')
    for x, y in pts:
        cx, cy = at(x, y)
        parts.append(
            f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="3" class="picked"><title>{_fmt(x)}: {y:,.2f}</title></circle>'
        )
    if marker is not None:
        mx = at(marker, 0)[0]
        parts.append(f'<line x1="{mx:.1f}" y1="30" x2="{mx:.1f}" y2="{height - 40}" class="marker"/>')
    parts.append("</svg>")
    return "".join(parts)


def share_chart(rows: list[tuple[str, float, float | None, float | None]], title: str, width: int = 560) -> str:
    """Shares on a 0-100% axis, one bar per label, with the rule's floor and cap marked.

    Rows are ``(label, share, floor, cap)``; a floor or cap may be None. Shares of different segments
    are drawn on one scale (unlike `bar_chart`, which scales each series to its own peak).
    """
    left, top, row = 170, 30, 30
    height = top + row * max(len(rows), 1) + 44
    span = width - left - 60
    parts = [f'<svg class="chart" role="img" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg" '
             f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
             f'<text x="0" y="16" class="title">{escape(title)}</text>',
             f'<line x1="{left}" y1="{top - 4}" x2="{left}" y2="{height - 40}" class="axis"/>']  # fmt: skip
    for frac in (0.0, 0.25, 0.5, 0.75, 1.0):
        x = left + span * frac
        parts.append(f'<text x="{x:.1f}" y="{height - 26}" text-anchor="middle" class="small">{frac:.0%}</text>')
    for i, (label, share, floor, cap) in enumerate(rows):
        y = top + i * row
        short = label if len(label) <= 26 else label[:25] + "…"
        ok = (floor is None or share >= floor - 1e-9) and (cap is None or share <= cap + 1e-9)
        parts.append(f'<text x="{left - 6}" y="{y + 15}" text-anchor="end">{escape(short)}</text>')
        parts.append(f'<rect x="{left}" y="{y + 4}" width="{span}" height="16" fill="#eef2ef"/>')  # the whole reach
        parts.append(f'<rect x="{left}" y="{y + 4}" width="{max(span * share, 0.5):.1f}" height="16" '
                     f'fill="{PALETTE[0] if ok else "#a5342f"}"><title>{escape(label)}: {share:.1%}</title></rect>')  # fmt: skip
        parts.append(f'<text x="{left + span * share + 4:.1f}" y="{y + 16}" class="small">{share:.1%}</text>')
        for limit, name in ((floor, "at least"), (cap, "at most")):
            if limit is not None:
                x = left + span * limit
                parts.append(f'<line x1="{x:.1f}" y1="{y}" x2="{x:.1f}" y2="{y + 24}" class="marker" stroke-width="2">'
                             f"<title>{name} {limit:.0%}</title></line>")  # fmt: skip
    parts.append(f'<line x1="{width - 200}" y1="{height - 6}" x2="{width - 186}" y2="{height - 6}" class="marker" stroke-width="2"/>'
                 f'<text x="{width - 182}" y="{height - 3}" class="small">the rule (floor or cap)</text>')  # fmt: skip
    parts.append("</svg>")
    return "".join(parts)


def histogram(series: dict[str, Any], title: str, xlabel: str, markers: dict[str, float] | None = None,
              bins: int = 40, width: int = 560, height: int = 300) -> str:  # fmt: skip
    """The distribution of one or two sets of draws as bars on shared bins, with labelled vertical markers.

    Parameters
    ----------
    series : dict
        Name -> values (a sequence or numpy array of draws); non-finite values are left out. A second series is
        drawn as an outline over the first (e.g. the expected-value roster behind the risk-aware one).
    title, xlabel : str
    markers : dict, optional
        Label -> x value (e.g. ``{"P10": 81.2, "P90": 140.3}``), drawn as dashed vertical lines.
    bins : int

    Returns
    -------
    str
        An ``<svg>`` element; the y axis is the share of draws per bin.
    """
    import numpy as np

    clean = {name: np.asarray(v, dtype=float)[np.isfinite(np.asarray(v, dtype=float))] for name, v in series.items()}
    present = [v for v in clean.values() if len(v)]
    lo = min(float(v.min()) for v in present) if present else 0.0
    hi = max(float(v.max()) for v in present) if present else 1.0
    if hi <= lo:
        hi = lo + 1.0
    edges = np.linspace(lo, hi, bins + 1)
    shares = {name: (np.histogram(v, edges)[0] / max(len(v), 1)) for name, v in clean.items()}
    ymax = max([float(s.max()) for s in shares.values()] + [1e-12])
    # the frame's axes start at 0: shift x so the first bin starts at the axis
    parts, at = _plot_frame(title, xlabel, "share of draws", width, height, hi - lo, ymax)
    # the frame labels its x ticks from 0, and these draws start at lo: relabel them with the values they stand for
    for index, frac in ((-4, 0.5), (-2, 1.0)):
        parts[index] = re.sub(r">[^<]*</text>$", f">{_fmt(lo + frac * (hi - lo))}</text>", parts[index])
    step = (hi - lo) / bins
    for j, (name, share) in enumerate(shares.items()):
        color = PALETTE[j % len(PALETTE)]
        if j == 0:
            for k, h in enumerate(share):
                x0, y0 = at(k * step, float(h))
                x1, _ = at((k + 1) * step, 0.0)
                parts.append(f'<rect x="{x0:.1f}" y="{y0:.1f}" width="{max(x1 - x0 - 0.5, 0.5):.1f}" '
                             f'height="{max(at(0, 0)[1] - y0, 0.0):.1f}" fill="{color}" opacity="0.75">'
                             f"<title>{escape(name)}: {edges[k]:,.1f} to {edges[k + 1]:,.1f}: {h:.1%}</title></rect>")  # fmt: skip
        else:
            path = []
            for k, h in enumerate(share):
                x0, y0 = at(k * step, float(h))
                x1, _ = at((k + 1) * step, float(h))
                path.append(f"{'M' if k == 0 else 'L'}{x0:.1f},{y0:.1f} L{x1:.1f},{y0:.1f}")
            parts.append(f'<path d="{" ".join(path)}" fill="none" stroke="{color}" stroke-width="2">'
                         f"<title>{escape(name)}</title></path>")  # fmt: skip
    for k, (label, x) in enumerate((markers or {}).items()):
        mx = at(x - lo, 0.0)[0]
        # labels stacked down the right of their line, so close markers (P10 and P50) stay readable
        parts.append(f'<line x1="{mx:.1f}" y1="30" x2="{mx:.1f}" y2="{height - 40}" class="marker"/>'
                     f'<text x="{mx + 3:.1f}" y="{40 + 12 * k}" class="small">{escape(label)} {_fmt(x)}</text>')  # fmt: skip
    parts.append(f'<text x="60" y="{height - 26}" text-anchor="middle" class="small">{_fmt(lo)}</text>')
    for j, name in enumerate(shares):  # legend in the top right, where a right-skewed distribution leaves room
        y = 36 + 14 * j
        parts.append(f'<rect x="{width - 210}" y="{y - 9}" width="10" height="10" fill="{PALETTE[j % len(PALETTE)]}"/>'
                     f'<text x="{width - 196}" y="{y}" class="small">{escape(name)}</text>')  # fmt: skip
    parts.append("</svg>")
    return "".join(parts)
