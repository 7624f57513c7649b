"""The patient's pages: the summary (problems with their sources, what is kept apart, treatments,
labs with their trends, the timeline), the scores panel (a fragment the summary loads last), and
the drafted letter (read and edited in the page, downloaded as .docx or .html), and the patients
like this one (``/patients/{key}/similar``, docs/similar.md)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from clinsearch.services import scores, similar, summary
from clinsearch.web.charts import PERIODS, timeline_svg, trend_svg
from clinsearch.web.face import Face, lang
from clinsearch.web.i18n import words

KINDS = ("discharge", "referral")


def add(routes: APIRouter, face: Face) -> None:
    @routes.get("/patients/{key}")
    def patient(request: Request, key: str, period: str = "all") -> Response:
        period = period if period in PERIODS else "all"

        def build(service):
            language = lang(request)
            found = summary.summary(service, key[:64], language, with_scores=False)
            t = words(language)
            lanes = {name.removeprefix("lane_"): t[name] for name in t if name.startswith("lane_")} | {"title": t["timeline"]}
            for panel in found["labs"]:
                for test in panel["tests"]:
                    test["svg"] = trend_svg(test, language)
            return {"s": found, "key": key[:64], "period": period, "periods": list(PERIODS), "timeline_svg": timeline_svg(found["timeline"], period, lanes)}

        return face.page(request, "patient.html", build=build)

    @routes.get("/patients/{key}/scores")
    def patient_scores(request: Request, key: str) -> Response:
        """The scores that apply, with their trails: the summary's last section, loaded after it."""
        def build(service):
            if not service.principal.identified:
                return {"panel": None}
            panel = scores.score_panel(service, key[:64])
            return {"panel": [s for s in panel if s["status"] not in summary.NOT_APPLICABLE]}

        return face.page(request, "patient_scores.html", build=build)

    @routes.get("/patients/{key}/letter")
    def letter(request: Request, key: str, kind: str = "discharge") -> Response:
        kind = kind if kind in KINDS else "discharge"
        return face.page(request, "letter.html", build=lambda service: {"letter": summary.letter(service, key[:64], kind), "key": key[:64], "kind": kind})

    @routes.get("/patients/{key}/letter.{form}")
    def letter_file(request: Request, key: str, form: str, kind: str = "discharge") -> Response:
        def build(service):
            made = summary.letter_file(service, key[:64], form if form in summary.LETTER_FORMS else "docx", kind if kind in KINDS else "discharge")
            return Response(made.content, media_type=made.media_type, headers={"Content-Disposition": f'attachment; filename="{made.filename}"'})

        return face.page(request, "letter.html", build=build)

    @routes.get("/patients/{key}/similar")
    def patient_similar(request: Request, key: str, limit: str = "10") -> Response:
        """The patients most like this one, with what they share and what tells them apart."""
        count = int(limit) if limit.isascii() and limit.isdigit() and len(limit) <= 3 else 10
        count = max(1, min(count, similar.MAX_LIMIT))
        return face.page(request, "similar.html", build=lambda service: {"r": similar.similar(service, key[:64], count, lang(request)), "key": key[:64]})
