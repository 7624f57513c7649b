"""The patient page's drawings, as server-side SVG (no script, no CDN): the timeline -- one lane
per kind of event on one time axis, each mark a link to its source -- and the trend plot of a lab,
with its axes, dates and reference band."""

from __future__ import annotations

import datetime as dt
import html

LANES = ("visit", "note", "condition", "drug", "procedure", "imaging", "lab")
COLOURS = {"visit": "#6b7280", "note": "#0b5cad", "condition": "#b91c1c", "drug": "#047857", "procedure": "#7c3aed", "imaging": "#b45309", "lab": "#be185d"}
PERIODS = {"all": None, "5y": 5 * 365, "2y": 2 * 365, "1y": 365}


def _day(value) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value[:10]) if value else None


def period_bounds(marks: list[dict], period: str) -> tuple[dt.date, dt.date] | None:
    """The first and last day shown: every mark, or the last ``period`` before the latest."""
    days = [d for m in marks for d in (_day(m["date"]), _day(m.get("end"))) if d]
    if not days:
        return None
    last = max(days)
    span = PERIODS.get(period)
    first = min(days) if span is None else last - dt.timedelta(days=span)
    if first == last:
        first = last - dt.timedelta(days=30)
    return first, last + dt.timedelta(days=max(1, (last - first).days // 50))


def timeline_svg(marks: list[dict], period: str, lane_names: dict[str, str], width: int = 960) -> str:
    bounds = period_bounds(marks, period)
    if bounds is None:
        return ""
    first, last = bounds
    left, lane_h, top = 110, 26, 8
    span = max(1, (last - first).days)

    def x(day: dt.date) -> float:
        return left + (min(max(day, first), last) - first).days / span * (width - left - 10)

    lanes = [lane for lane in LANES if any(m["kind"] == lane for m in marks)]
    height = top + lane_h * len(lanes) + 24
    parts = [f'<svg class="timeline" viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="{html.escape(lane_names.get("title", "timeline"))}">']
    for year in range(first.year + 1, last.year + 1):
        tick = x(dt.date(year, 1, 1))
        parts.append(f'<line x1="{tick:.1f}" y1="{top}" x2="{tick:.1f}" y2="{height - 20}" class="grid"/>'
                     f'<text x="{tick:.1f}" y="{height - 6}" class="tick" text-anchor="middle">{year}</text>')
    for row, lane in enumerate(lanes):
        y = top + row * lane_h + lane_h / 2
        parts.append(f'<text x="4" y="{y + 4:.1f}" class="lane">{html.escape(lane_names.get(lane, lane))}</text>')
        for m in (m for m in marks if m["kind"] == lane):
            start, end = _day(m["date"]), _day(m.get("end"))
            if (end or start) < first or start > last:
                continue
            title = f"{html.escape(m['label'])} · {start.isoformat()}" + (f" → {end.isoformat()}" if end and end != start else "")
            colour = COLOURS[lane]
            if end and (end - start).days > span / 200:
                shape = f'<rect x="{x(start):.1f}" y="{y - 5:.1f}" width="{max(3.0, x(end) - x(start)):.1f}" height="10" rx="3" fill="{colour}" fill-opacity="0.55"/>'
            else:
                shape = f'<circle cx="{x(start):.1f}" cy="{y:.1f}" r="5" fill="{colour}"/>'
            parts.append(f'<a href="{html.escape(_href(m))}" class="mark" data-kind="{lane}"><title>{title}</title>{shape}</a>')
    parts.append("</svg>")
    return "".join(parts)


def _href(mark: dict) -> str:
    if mark.get("note_id"):
        cite = mark.get("cite")
        return f"/notes/{mark['note_id']}" + (f"?cite={cite[0]}-{cite[1]}#cited" if cite else "")
    return f"#{mark.get('anchor', '')}"


def trend_svg(test: dict, lang: str, width: int = 300, height: int = 110) -> str:
    """One lab's values over time: y axis (min, max), x axis (first and last dates), the
    reference band shaded, each point titled with its date and value."""
    points = [(_day(p["date"]), p["value"]) for p in test["points"]]
    if len(points) < 2:
        return ""
    values = [v for _, v in points] + [v for v in (test["low"], test["high"]) if v is not None]
    low, high = min(values), max(values)
    pad = (high - low) * 0.1 or 1.0
    low, high = low - pad, high + pad
    first, last = points[0][0], points[-1][0]
    span = max(1, (last - first).days)
    left, right, top, bottom = 42, 8, 8, 22

    def x(day):
        return left + (day - first).days / span * (width - left - right)

    def y(v):
        return top + (high - v) / (high - low) * (height - top - bottom)

    def num(v):
        text = f"{v:.3g}"
        return text.replace(".", ",") if lang == "fr" else text

    label = html.escape(f"{test['label']} ({test['unit'] or ''})")
    parts = [f'<svg class="trend" width="{width}" height="{height}" role="img" aria-label="{label}">']
    if test["low"] is not None or test["high"] is not None:
        band_top = y(test["high"]) if test["high"] is not None else top
        band_bottom = y(test["low"]) if test["low"] is not None else height - bottom
        parts.append(f'<rect x="{left}" y="{band_top:.1f}" width="{width - left - right}" height="{max(0.0, band_bottom - band_top):.1f}" class="band"/>')
    parts.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" class="axis"/>'
                 f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" class="axis"/>')
    for v in (high - pad, low + pad):
        parts.append(f'<text x="{left - 4}" y="{y(v) + 4:.1f}" class="tick" text-anchor="end">{num(v)}</text>')
    parts.append(f'<text x="{left}" y="{height - 6}" class="tick">{first.isoformat()}</text>'
                 f'<text x="{width - right}" y="{height - 6}" class="tick" text-anchor="end">{last.isoformat()}</text>')
    coords = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in points)
    parts.append(f'<polyline points="{coords}" class="line"/>')
    for d, v in points:
        parts.append(f'<circle cx="{x(d):.1f}" cy="{y(v):.1f}" r="3" class="point"><title>{d.isoformat()} : {num(v)} {html.escape(test["unit"] or "")}</title></circle>')
    parts.append("</svg>")
    return "".join(parts)
