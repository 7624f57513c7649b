"""Cohorts as the principal may see them: built, described (Table 1), exported, saved.

A restricted clinician's population is their patients; researchers get pseudonyms, shifted
index dates and blurred counts, and pseudonymised exports."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from clinsearch.cohort.build import build
from clinsearch.cohort.definition import DefinitionError, load, read
from clinsearch.cohort.definition import schema as definition_schema
from clinsearch.cohort.describe import table_one
from clinsearch.cohort.export import export, form_of
from clinsearch.cohort.saved import CohortOwned, SavedCohorts
from clinsearch.config import secret_key
from clinsearch.nlp.pseudonymize import date_shift
from clinsearch.services.access import (AccessDenied, NotFound, Request, audit, blur, note_scope, pseudonym, refuse, require_patient_data, scope,
                                        shown_count, spend_query)
from clinsearch.services.disclosure import small, threshold, withheld_warnings
from clinsearch.warehouse.store import open_store

EXPORT_FORMS = {"csv": "cohort.csv", "parquet": "cohort.parquet", "omop": "omop"}


def cohort(request: Request, definition: dict, *, compare: dict | None = None, members: bool = True, export_to: Path | None = None) -> dict:
    """Build a cohort (and describe it, beside a second one with ``compare``) as the principal
    may see it. ``members=False``: the attrition only (the live counts of the cohort form).
    ``export_to``: also export the cohort built (audited), under ``"export"``. Raises
    DefinitionError for a definition that cannot run."""
    require_patient_data(request)
    identified = request.principal.identified
    parsed = [read(definition)] + ([read(compare)] if compare is not None else [])
    spend_query(request, parsed[0].name)
    audit(request, "cohort" if members else "cohort-count", parsed[0].name, {"definition": definition, **({"compare": compare} if compare else {})})
    with open_store(request.data, read_only=True) as store:
        built = [build(store, request.data, d, members=members, pseudonymised=not identified, **scope(request)) for d in parsed]
        table = table_one(store, built, blur=None if identified else blur) if members else None
        if export_to is not None and not identified and small(built[0].size):
            raise AccessDenied(f"a cohort of fewer than {threshold()} patients is not exported to the researcher role")
        if export_to is not None:
            audit(request, "cohort-export", parsed[0].name, {"definition": definition, "form": form_of(export_to), "pseudonymised": not identified})
            exported = export(store, request.data, built[0], export_to, pseudonymised=not identified, **note_scope(request)).as_dict()
    out = _view(request, built[0], members)
    if export_to is not None:
        out["export"] = exported
    if table is not None:
        out["table_one"] = table
    if compare is not None:
        out["compare"] = _view(request, built[1], False)
    return out


def _view(request: Request, built, members: bool) -> dict:
    out = built.as_dict()
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
