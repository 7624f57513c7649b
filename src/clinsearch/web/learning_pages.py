"""The learning path's page, ``/learn`` (docs/learning.md): short guided exercises on the demo
for clinicians — challenge a score, create a model, see it over-fit, the prevalent-disease trap,
compare two scores, find look-alike patients. Each with its steps, links to the pages, shortcut
forms that send the example definitions to the cohort builder or the models page, the commands,
the figures obtained on the demo, the questions to ask and what the figures mean.

The exercises are data (``learning.json``, French and English); the page reads no patient data,
so its build only checks that the role may see patient data (an administrator is refused)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

from fastapi import APIRouter, Request
from fastapi.responses import Response

from clinsearch.services import access, models
from clinsearch.web.face import Face, lang

EXAMPLE, DEFINITION = "@example:", "@definition:"


def add(routes: APIRouter, face: Face) -> None:
    @routes.get("/learn")
    def learn(request: Request) -> Response:
        def build(service: access.Request) -> dict:
            access.require_patient_data(service, "learning path")
            return {"path": exercises(lang(request), service.principal.identified)}

        return face.page(request, "learning.html", build=build)


@cache
def path_data() -> dict:
    """The learning path as written in ``learning.json`` (both languages)."""
    return json.loads(resources.files("clinsearch.web").joinpath("learning.json").read_text("utf-8"))


def definition(ref: str) -> dict:
    """A definition an exercise names: ``@example:NAME`` (the demo's examples, as the models page
    reads them) or ``@definition:NAME`` (one of the learning path's own)."""
    if ref.startswith(EXAMPLE):
        return models.example(ref.removeprefix(EXAMPLE))
    if ref.startswith(DEFINITION):
        return path_data()["definitions"][ref.removeprefix(DEFINITION)]
    raise ValueError(f"not a definition reference: {ref!r}")


def _value(value: str) -> str:
    return json.dumps(definition(value), ensure_ascii=False, indent=1) if value.startswith((EXAMPLE, DEFINITION)) else value


def _file(ref: str) -> str:
    name = ref.split(":", 1)[1]
    return f"src/clinsearch/demo/examples/{name}" if ref.startswith(EXAMPLE) else name


def exercises(language: str, identified: bool) -> dict:
    """The page's content in ``language``: the texts of that language, definitions as JSON, the
    links to patients' pages only for a clinician (a researcher opens records by pseudonym)."""
    data = path_data()
    pick = (lambda text: text[language] if language in text else text["fr"])
    out = []
    for item in data["exercises"]:
        out.append({
            "id": item["id"], "title": pick(item["title"]), "goal": pick(item["goal"]),
            "steps": [pick(s) for s in item["steps"]],
            "links": [{"href": link["href"], "label": pick(link["label"])} for link in item["links"] if identified or not link.get("identified")],
            "forms": [{"action": form["action"], "label": pick(form["label"]), "fields": {k: _value(v) for k, v in form["fields"].items()}} for form in item["forms"]],
            "json": [{"file": _file(ref), "text": _value(ref)} for ref in item["json"]],
            "commands": item["commands"], "figures": [pick(f) for f in item["figures"]],
            "questions": [pick(q) for q in item["questions"]], "meaning": [pick(m) for m in item["meaning"]],
        })
    return {"setup": {"text": pick(data["setup"]["text"]), "commands": data["setup"]["commands"]}, "exercises": out, "identified": identified}
