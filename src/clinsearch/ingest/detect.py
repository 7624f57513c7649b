"""Which reader reads a path: formats detected from extension and content, folders walked.

``discover`` turns the paths a user gives into *sources*, the units that are loaded each in
one transaction: one file, or one manifest with the documents it lists, or the DICOM files of
one folder. A document manifest is recognised by its columns (``file``, a patient, a date),
whatever its name; a CSV that lists files without them (a data set's own ``manifest.csv`` of
expected counts, say) is documentation and is ignored. Sources load patients first: OMOP
``person`` before the other tables, FHIR files named ``Patient*`` before the other resources.

>>> from pathlib import Path
>>> detect(Path("person.csv"))
'omop'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from clinsearch.ingest import dicom, documents, fhir, omop_tables, pubmed
from clinsearch.warehouse.schema import DERIVED

# Documentation files that sit beside data in exports; never data themselves.
DOCUMENTATION = ("readme", "license", "licence", "changelog", "source_readme")
# A warehouse's own files, met when a folder being ingested holds a data directory.
WAREHOUSE_FILES = (".duckdb", ".duckdb.wal", ".wal", ".duckdb.turn", ".duckdb.use", "warehouse.url")  # .turn, .use: warehouse/turns.py; .url: config.py
# Load order: patients before what refers to them by the hospital's identifier.
NOT_DATA = ("sidecar", "ignored", "inventory", "derived")  # kinds of files that are passed over, with the reason
ORDER = {"omop": 0, "fhir": 1, "pubmed": 2, "notes-csv": 3, "manifest": 4, "document": 5, "dicom": 6}


@dataclass
class Source:
    format: str  # omop | fhir | pubmed | notes-csv | manifest | document | dicom
    path: Path  # the file (or, for dicom, the folder)
    files: list[Path] = field(default_factory=list)  # every file the load covers

    @property
    def label(self) -> str:
        return str(self.path.resolve())


@dataclass
class Problem:
    path: Path
    reason: str


def detect(path: Path) -> str | None:
    """The format of one file: a reader's name, 'sidecar', 'ignored', 'inventory' (a list of
    files that is not a document manifest), 'derived' (a table clinsearch computes), or None
    (unknown)."""
    name = path.name.lower()
    if name.endswith(WAREHOUSE_FILES):
        return "ignored"
    if omop_tables.table_for(path):
        return "omop"
    if omop_tables.named_table(path) in DERIVED:
        return "derived"
    if name.endswith((".json", ".json.gz")) and _is_sidecar(path):
        return "sidecar"
    if name.endswith((".ndjson", ".ndjson.gz")):
        return "fhir"
    if name.endswith((".json", ".json.gz")):
        return "fhir" if fhir.looks_like_fhir(path) else None
    if name.endswith(pubmed.SUFFIXES):
        return "pubmed" if pubmed.kind_of(path) else None
    if name.endswith(".csv") and documents.sidecar_for(path):
        return "notes-csv"
    if name.endswith(".csv"):
        return documents.manifest_kind(path)
    if path.suffix.lower() in documents.DOCUMENT_SUFFIXES:
        if path.stem.lower() in DOCUMENTATION:
            return "ignored"
        return "document"
    if dicom.is_dicom(path):
        return "dicom"
    return None


def _is_sidecar(path: Path) -> bool:
    base = path.name[: -len(".json")] if path.name.endswith(".json") else path.name
    siblings = [path.with_name(base)] + [path.with_name(base + s) for s in documents.DOCUMENT_SUFFIXES + (".csv",)]
    return any(s.is_file() and s != path for s in siblings)


def discover(paths: list[Path], ignored: list[Problem] | None = None) -> tuple[list[Source], list[Problem]]:
    """The sources to load, in load order, and the paths that are not data (with the reason);
    ``ignored`` receives the files of folders that were passed over (documentation, sidecars,
    lists of files), each with the reason, so that a summary can name them."""
    sources: list[Source] = []
    problems: list[Problem] = []
    ignored = [] if ignored is None else ignored
    for given in paths:
        if not given.exists():
            problems.append(Problem(given, "no such file or folder"))
        elif given.is_dir():
            _walk(given, sources, problems, ignored)
        else:
            kind = detect(given)
            if kind in (None, *NOT_DATA):
                problems.append(Problem(given, _unknown(given, kind)))
            elif kind == "dicom":
                sources.append(Source("dicom", given, [given]))
            else:
                sources.append(_source(kind, given))
    sources.sort(key=_load_order)
    return sources, problems


def _load_order(source: Source) -> tuple[int, int]:
    """Patients first: the format's rank, then person / Patient files before the others."""
    name = source.path.name.lower()
    patients = omop_tables.table_for(source.path) == "person" if source.format == "omop" else name.startswith("patient")
    return ORDER[source.format], 0 if patients else 1


def _walk(folder: Path, sources: list[Source], problems: list[Problem], ignored: list[Problem]) -> None:
    folder = folder.absolute()
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
    kinds = {path: detect(path) for path in files}
    covered: set[Path] = set()
    for manifest in (p for p in files if kinds[p] == "manifest"):
        listed = documents.manifest_files(manifest)
        covered.update(listed)
        sources.append(Source("manifest", manifest, [manifest, *listed]))
    dicom_by_folder: dict[Path, list[Path]] = {}
    for path in files:
        kind = kinds[path]
        if path in covered or kind == "manifest":
            continue
        if kind in NOT_DATA:
            ignored.append(Problem(path, _unknown(path, kind)))
            continue
        if kind is None:
            problems.append(Problem(path, _unknown(path, kind)))
        elif kind == "dicom":
            dicom_by_folder.setdefault(path.parent, []).append(path)
        else:
            sources.append(_source(kind, path))
    for parent, dicoms in dicom_by_folder.items():
        sources.append(Source("dicom", parent, dicoms))


def _source(kind: str, path: Path) -> Source:
    if kind == "manifest":
        return Source(kind, path, [path, *documents.manifest_files(path)])
    if kind in ("document", "notes-csv"):
        sidecar = documents.sidecar_for(path)
        return Source(kind, path, [path] + ([sidecar] if sidecar else []))
    return Source(kind, path, [path])


def _unknown(path: Path, kind: str | None) -> str:
    if kind == "sidecar":
        return "a sidecar JSON: ingest the document it describes instead"
    if kind == "ignored":
        return "a documentation or warehouse file, not data"
    if kind == "derived":
        return (f"{omop_tables.named_table(path)} is derived by clinsearch from the other tables after each ingest "
                "(OHDSI's conventions, docs/data-engineering.md), never read from a source")
    if kind == "inventory":
        return ("a list of files without patient and date columns (a data set's own manifest?), not a document "
                "manifest: a document manifest has the columns file, person_id or person_source_value, and date")
    if path.name.lower().endswith(".csv"):
        return (
            f"unrecognised format: a CSV is read as an OMOP table when it is named after one (person.csv, note.csv ...), "
            f"as a document manifest when its columns are file, person_id or person_source_value and date, and as "
            f"notes when a sidecar {path.name}.json maps its columns: "
            '{"columns": {"text": "<column of the note text>", ...}, "defaults": {"date": "...", ...}} '
            "(docs/data-engineering.md)"
        )
    return (
        "unrecognised format (expected OMOP table CSV/Parquet named after its table, FHIR JSON/NDJSON, "
        "a document .txt/.md/.docx/.pdf with a sidecar .json, a document manifest CSV, a notes CSV with its sidecar, "
        "DICOM, or PubMed/JATS XML; see docs/data-engineering.md)"
    )
