"""The patient's page."""

from __future__ import annotations

import html

from fastapi import APIRouter, Request
from fastapi.responses import Response

from clinsearch.services import patients, scores
from clinsearch.web.face import Face


def add(routes: APIRouter, face: Face) -> None:
    @routes.get("/patients/{key}")
    def patient(request: Request, key: str) -> Response:
        def build(service):
            record = patients.patient_record(service, key[:64])
            panel = scores.score_panel(service, key[:64]) if service.principal.identified else None
            return {"record": record, "measurements": _series(record["measurements"]), "scores": panel}

        return face.page(request, "patient.html", build=build)


def _series(measurements: list[dict]) -> list[dict]:
    """One small SVG line per measured code (values over time)."""
    by_code: dict[str, list[dict]] = {}
    for m in measurements:
        if m["value"] is not None:
            by_code.setdefault(m["code"] or "?", []).append(m)
    out = []
    for code, points in sorted(by_code.items()):
        values = [p["value"] for p in points]
        low, high = min(values), max(values)
        span = (high - low) or 1.0
        width, height = 220, 50
        step = width / max(len(values) - 1, 1)
        coords = " ".join(f"{i * step:.1f},{height - 5 - (v - low) / span * (height - 10):.1f}" for i, v in enumerate(values))
        label = points[-1]["label"] or code
        svg = (f'<svg width="{width}" height="{height}" role="img" aria-label="{html.escape(label)}: {len(values)} values from {low:g} to {high:g}">'
               f'<polyline fill="none" stroke="#0b5cad" stroke-width="2" points="{coords}"/></svg>')
        out.append({"label": label, "unit": points[-1]["unit"] or "", "last": f"{values[-1]:g} ({points[-1]['date']})", "svg": svg})
    return out
