"""Cohorts as the principal may see them: built, described (Table 1), exported, saved.

A restricted clinician's population is their patients; researchers get pseudonyms, shifted
index dates and blurred counts, and pseudonymised exports."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from clinsearch.cohort.build import build
from clinsearch.cohort.definition import DefinitionError, load, read
from clinsearch.cohort.definition import schema as definition_schema
from clinsearch.cohort.describe import table_one
from clinsearch.cohort import labels
from clinsearch.cohort.export import export, form_of
from clinsearch.cohort.saved import CohortOwned, SavedCohorts
from clinsearch.config import secret_key
from clinsearch.security.audit import AuditLog
from clinsearch.nlp.pseudonymize import date_shift
from clinsearch.services.access import (AccessDenied, NotFound, Request, audit, blur, note_scope, pseudonym, refuse, require_patient_data, scope,
                                        shown_count, spend_query)
from clinsearch.services.disclosure import small, threshold, withheld_warnings
from clinsearch.warehouse.store import open_store

EXPORT_FORMS = {"csv": "cohort.csv", "parquet": "cohort.parquet", "omop": "omop"}


def cohort(request: Request, definition: dict, *, compare: dict | None = None, members: bool = True, export_to: Path | None = None,
           lang: str = "en") -> dict:
    """Build a cohort (and describe it, beside a second one with ``compare``) as the principal
    may see it. ``members=False``: the attrition only (the live counts of the cohort form).
    ``export_to``: also export the cohort built (audited), under ``"export"``. ``lang``: the
    language of the attrition's and Table 1's labels (the web pages give theirs). Raises
    DefinitionError for a definition that cannot run."""
    require_patient_data(request)
    identified = request.principal.identified
    parsed = [read(definition)] + ([read(compare)] if compare is not None else [])
    spend_query(request, parsed[0].name)
    audit(request, "cohort" if members else "cohort-count", parsed[0].name, {"definition": definition, **({"compare": compare} if compare else {})})
    with open_store(request.data, read_only=True) as store:
        built = [build(store, request.data, d, members=members, pseudonymised=not identified, **scope(request)) for d in parsed]
        table = table_one(store, built, blur=None if identified else blur, lang=lang) if members else None
        if export_to is not None and not identified and small(built[0].size):
            raise AccessDenied(f"a cohort of fewer than {threshold()} patients is not exported to the researcher role")
        if export_to is not None:
            audit(request, "cohort-export", parsed[0].name, {"definition": definition, "form": form_of(export_to), "pseudonymised": not identified})
            exported = export(store, request.data, built[0], export_to, pseudonymised=not identified, **note_scope(request)).as_dict()
    out = _view(request, built[0], members, lang)
    if export_to is not None:
        out["export"] = exported
    if table is not None:
        out["table_one"] = table
    if compare is not None:
        out["compare"] = _view(request, built[1], False, lang)
    return out


PREVIEW_SESSION = re.compile(r"[A-Za-z0-9_-]{8,64}")


def preview(request: Request, definition: dict, base: dict, session: str, lang: str = "en") -> dict:
    """The live count of the cohort form: the attrition of ``definition`` (``base`` with the
    criterion being typed), as the principal may see it.

    One editing session writes one audit entry, not one per keystroke: the first count of a
    session (``session``, a random id of the page, with the definition the criterion is added
    to) is written with the definition counted and ``live_counts`` saying that the later counts
    of the session are folded into it; each later count is kept beside the entry (its time) and
    shown on the audit page with it. Every count is still spent from a researcher's budget and
    blurred as any count. A session without a valid id is audited like any count."""
    require_patient_data(request)
    parsed = read(definition)
    spend_query(request, parsed.name)
    if not PREVIEW_SESSION.fullmatch(session or ""):
        audit(request, "cohort-count", parsed.name, {"definition": definition})
    else:
        key = session + ":" + hashlib.sha256(json.dumps(base, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]
        log = AuditLog(request.data)
        try:
            log.append_once(key, request.principal.username, request.principal.role, "cohort-count", parsed.name, request.purpose,
                            {"definition": definition, "live_counts": {"session": session, "base": base,
                                                                       "note": "live counts while a criterion is typed on base: the later ones are folded into this entry"}})
        finally:
            log.close()
    with open_store(request.data, read_only=True) as store:
        built = build(store, request.data, parsed, members=False, pseudonymised=not request.principal.identified, **scope(request))
    return _view(request, built, False, lang)


def _view(request: Request, built, members: bool, lang: str = "en") -> dict:
    out = built.as_dict()
    out["attrition"] = labels.attrition(out["attrition"], built.definition, lang)
    if not members:
        out.pop("patients")
    if request.principal.identified:
        return out
    secret = secret_key(request.data)
    size = out["size"]
    out["size"] = blur(size)
    out["attrition"] = [{**s, "remaining": blur(s["remaining"]), "removed": blur(s["removed"])} for s in out["attrition"]]
    out["warnings"] = withheld_warnings(out.get("warnings", []))
    if "index_dates" in out:
        out["index_dates"] = {k: blur(v) if isinstance(v, int) else v for k, v in out["index_dates"].items()}
    if members and small(size):
        out["patients"] = []
        out["withheld"] = [f"patients: a cohort of fewer than {threshold()} is not listed"]
    elif members:
        out["patients"] = [{"person_id": pseudonym(request.data, p), "index_date": (d + dt.timedelta(days=date_shift(p, secret))).isoformat(),
                            **({"indexed_at": built.deceased[p]} if p in built.deceased else {})} for p, d in built.members]
        out["patients"].sort(key=lambda x: x["person_id"])
    return out


def export_cohort(request: Request, definition: dict, path: Path) -> dict:
    """Export a cohort to ``path`` (CSV, Parquet, or a folder of OMOP tables): pseudonymised for
    researchers. The export is written to the audit log before it happens."""
    return cohort(request, definition, export_to=path)["export"]


@dataclass(frozen=True)
class ExportFile:
    """An export as one file to hand over (a download): content, media type, file name, and the
    number of patients as the principal may see it."""

    content: bytes
    media_type: str
    filename: str
    patients: int | str


def export_file(request: Request, definition: dict, form: str) -> ExportFile:
    """Export into a temporary folder and return the file (OMOP tables zipped)."""
    if form not in EXPORT_FORMS:
        raise DefinitionError(f"unknown export format {form!r} (csv, parquet or omop)")
    folder = Path(tempfile.mkdtemp(prefix="clinsearch-export-"))
    try:
        name = EXPORT_FORMS[form]
        result = export_cohort(request, definition, folder / name)
        if form == "omop":
            archive = shutil.make_archive(str(folder / "cohort-omop"), "zip", folder / name)
            content, media, filename = Path(archive).read_bytes(), "application/zip", "cohort-omop.zip"
        else:
            content, filename = (folder / name).read_bytes(), name
            media = "text/csv; charset=utf-8" if form == "csv" else "application/vnd.apache.parquet"
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return ExportFile(content, media, filename, shown_count(request, result["patients"]))


def schema() -> dict:
    """The JSON Schema of a cohort definition (docs/cohorts.md)."""
    return definition_schema()


def check(definition: dict) -> None:
    """Raise ``DefinitionError`` if ``definition`` cannot run (the form checks each step)."""
    read(definition)


def save_cohort(request: Request, definition: dict, *, shared: bool | None = None) -> dict:
    """Save ``definition`` under its name: a new cohort owned by the user, or a new version of
    theirs (``shared``: readable by every user; None keeps what it was). Another user's name is
    refused."""
    require_patient_data(request)
    saved = SavedCohorts(request.data)
    try:
        found = saved.save(definition, request.principal.username, shared=shared)
    except CohortOwned as exc:
        raise refuse(request, definition.get("name", ""), str(exc)) from None
    finally:
        saved.close()
    audit(request, "cohort-save", found["name"], {"id": found["id"], "version": found["version"], "shared": found["shared"]})
    return found


def saved_cohorts(request: Request, key: str | None = None) -> list[dict] | dict:
    """The saved cohorts the user may read (their own and the shared ones), or the one named or
    numbered ``key`` with its versions."""
    require_patient_data(request)
    reader = request.principal.username
    saved = SavedCohorts(request.data)
    try:
        if key is None:
            return saved.list(reader)
        found = saved.get(key, reader)
        if found is not None:
            found["versions"] = [{k: v for k, v in version.items() if k != "definition"} for version in saved.versions(key, reader)]
    finally:
        saved.close()
    if found is None:
        raise NotFound(f"no saved cohort {key}")
    return found


def definition_of(request: Request, given: str) -> dict:
    """A definition from a JSON file, else the saved cohort of that name or id."""
    path = Path(given)
    if path.exists() or given.endswith(".json"):
        return load(path).raw
    try:
        return saved_cohorts(request, given)["definition"]
    except NotFound:
        raise DefinitionError(f"{given}: no such file, and no saved cohort of that name") from None
