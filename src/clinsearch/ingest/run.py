"""The ingest run: discover sources, read each with its reader, load it into the warehouse.

>>> import tempfile
>>> from clinsearch.warehouse.store import open_store
>>> with tempfile.TemporaryDirectory() as folder:
...     export = Path(folder, "person.csv")
...     _ = export.write_text("person_id,gender_concept_id,year_of_birth\\n1,8507,1950\\n2,8532,1961\\n", encoding="utf-8")
...     with open_store(Path(folder, "data")) as store:
...         result = ingest(store, [export])
>>> result.ok, result.totals()["loaded"]
(True, 2)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Protocol

from clinsearch.ids import person_id_for
from clinsearch.ingest import dicom, documents, fhir, omop_tables, pubmed
from clinsearch.ingest.detect import Problem, Source, discover
from clinsearch.ingest.values import file_checksum
from clinsearch.warehouse.derived import derive, stale
from clinsearch.warehouse.duckdb import DuckDBStore
from clinsearch.warehouse.load import LoadSummary, already_loaded, load
from clinsearch.warehouse.records import Record, UnreadableFile


class Reporter(Protocol):
    """What a face (CLI progress bar, test) is told while an ingest runs."""

    def start(self, source: Source, index: int, total: int) -> None: ...
    def progress(self, records: int) -> None: ...
    def done(self, summary: LoadSummary) -> None: ...


class Silent:
    def start(self, source: Source, index: int, total: int) -> None:
        pass

    def progress(self, records: int) -> None:
        pass

    def done(self, summary: LoadSummary) -> None:
        pass


@dataclass
class IngestResult:
    summaries: list[LoadSummary] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    ignored: list[Problem] = field(default_factory=list)  # files of folders that are not data, and why
    derived: dict[str, int] = field(default_factory=dict)  # rows of each derived table, when computed again

    @property
    def ok(self) -> bool:
        """No file failed, nothing was quarantined and every path was understood."""
        return not self.problems and all(s.status != "failed" and s.quarantined == 0 for s in self.summaries)

    def totals(self) -> dict:
        keys = ("read", "loaded", "skipped", "quarantined", "orphans", "persons_created")
        totals = {k: sum(getattr(s, k) for s in self.summaries) for k in keys}
        totals["already_loaded"] = sum(1 for s in self.summaries if s.status == "already loaded")
        totals["failed"] = sum(1 for s in self.summaries if s.status == "failed") + len(self.problems)
        return totals

    def as_dict(self) -> dict:
        return {
            "sources": [s.as_dict() for s in self.summaries],
            "problems": [{"source": str(p.path), "reason": p.reason} for p in self.problems],
            "ignored": [{"source": str(p.path), "reason": p.reason} for p in self.ignored],
            "totals": self.totals(),
            "derived": self.derived,
        }


def ingest(store: DuckDBStore, paths: Iterable[Path], reporter: Reporter | None = None) -> IngestResult:
    reporter = reporter or Silent()
    ignored: list[Problem] = []
    sources, problems = discover([Path(p) for p in paths], ignored)
    result = IngestResult(problems=problems, ignored=ignored)
    people = _People(store)
    for index, source in enumerate(sources, start=1):
        reporter.start(source, index, len(sources))
        try:
            checksum = _checksum(source)
        except OSError as exc:
            result.problems.append(Problem(source.path, f"cannot read file ({exc.strerror or exc})"))
            continue
        summary = load(
            store,
            source.label,
            source.format,
            checksum,
            _read_ahead(store, source, checksum, people),
            on_progress=reporter.progress,
            person_label=people.label,
        )
        if summary.rows.get("person"):
            people.refresh()
        result.summaries.append(summary)
        reporter.done(summary)
        store.give_way()  # a long load lets the requests being served in between its files
    if stale(store):  # something was loaded (now, or by a run killed before this step)
        result.derived = derive(store)
    return result


def _checksum(source: Source) -> str:
    files = [f for f in source.files if f.is_file()]
    return dicom.checksum(files) if source.format == "dicom" else file_checksum(*files)


def _records(source: Source, resolve_person: Callable[[str], int]) -> Iterable[Record]:
    path = source.path
    if source.format == "omop":
        return omop_tables.read(path)
    if source.format == "fhir":
        return fhir.read(path)
    if source.format == "pubmed":
        return pubmed.read(path)
    if source.format == "manifest":
        return documents.read_manifest(path, resolve_person)
    if source.format == "notes-csv":
        return documents.read_notes_csv(path, resolve_person)
    if source.format == "document":
        return documents.read_with_sidecar(path, resolve_person)
    if source.format == "dicom":
        root = path if path.is_dir() else path.parent
        return dicom.read(source.files, resolve_person, root=root)
    raise ValueError(f"no reader for format {source.format!r}")


class _People:
    """The hospital's patient identifiers already in the warehouse, to tie documents and
    images to the right person; unknown identifiers get the id a later load will give them."""

    def __init__(self, store: DuckDBStore):
        self.store = store
        self.known: dict[str, int] | None = None
        self.asked: dict[int, str] = {}  # id -> the identifier it was resolved from

    def refresh(self) -> None:
        self.known = None

    def ready(self) -> None:
        """Read the identifiers already known (now, before the store is let go of)."""
        if self.known is None:
            rows = self.store.query("SELECT person_source_value, person_id FROM person WHERE person_source_value IS NOT NULL")
            self.known = dict(rows)

    def resolve(self, source_value: str) -> int:
        self.ready()
        person_id = self.known.get(source_value) or person_id_for(source_value)
        self.asked[person_id] = source_value
        return person_id

    def label(self, person_id: int) -> str | None:
        """The hospital identifier a person id was resolved from, to name an orphan."""
        source_value = self.asked.get(person_id)
        return f"person_source_value {source_value!r}" if source_value else None


READ_AHEAD_BYTES = 64 * 2**20  # sources up to this size are read before their transaction


def _read_ahead(store: DuckDBStore, source: Source, checksum: str, people: "_People") -> Callable[[], Iterable[Record]]:
    """The source's records for ``load``. A source of moderate size is read and parsed while the
    store is let go of (``paused``), so that its transaction only writes and requests are served
    meanwhile; a larger one is read inside its transaction, as it streams."""
    if already_loaded(store, checksum) or sum(f.stat().st_size for f in source.files if f.is_file()) > READ_AHEAD_BYTES:
        return lambda: _records(source, people.resolve)
    people.ready()
    records: list[Record] = []
    failure: UnreadableFile | None = None
    with store.paused():
        try:
            records.extend(_records(source, people.resolve))
        except UnreadableFile as exc:  # raised again inside the load, which records it
            failure = exc

    def replay() -> Iterator[Record]:
        yield from records
        if failure is not None:
            raise failure

    return replay
