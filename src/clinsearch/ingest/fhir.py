"""Reader for FHIR R4: Bundles (batch, transaction, collection, searchset), NDJSON bulk exports
and single resources, plain or gzipped.

Each resource of a mapped type is validated against the FHIR model (``fhir.resources``, R4B
models, which accept R4 resources of the types mapped here) and mapped to warehouse rows by
``fhir_mapping``. Resources of other valid types (Claim, Organization ...) are counted as
skipped with their type; an unknown ``resourceType``, an invalid resource or one that cannot be
tied to a patient goes to the quarantine.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Iterator

from clinsearch.ingest import fhir_mapping
from clinsearch.ingest.fhir_fields import MappingError, References, is_fhir_type, validate
from clinsearch.warehouse.records import Parsed, Record, Rejected, Skipped, UnreadableFile

SUFFIXES = (".json", ".ndjson", ".json.gz", ".ndjson.gz")


def read(path: Path) -> Iterator[Record]:
    if path.name.lower().endswith((".ndjson", ".ndjson.gz")):
        return _read_ndjson(path)
    return _read_json(path)


def looks_like_fhir(path: Path) -> bool:
    """Whether a .json file holds a FHIR resource (a ``resourceType`` near its start)."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as handle:
            head = handle.read(4096)
    except (OSError, EOFError):
        return False
    return b'"resourceType"' in head


def _open_text(path: Path):
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8")
    return open(path, encoding="utf-8")


def _read_json(path: Path) -> Iterator[Record]:
    try:
        with _open_text(path) as handle:
            document = json.load(handle)
    except json.JSONDecodeError as exc:
        raise UnreadableFile(str(path), f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except UnicodeDecodeError as exc:
        raise UnreadableFile(str(path), f"not UTF-8 text as FHIR JSON must be (byte {exc.start})") from None
    except (OSError, EOFError) as exc:
        raise UnreadableFile(str(path), f"cannot read file ({exc})") from None
    if not isinstance(document, dict) or "resourceType" not in document:
        raise UnreadableFile(str(path), "not a FHIR resource (no resourceType at the top level)")
    if document["resourceType"] == "Bundle":
        yield from _read_bundle(document)
    else:
        refs = References({})
        yield _map(document, "resource", refs)


def _read_bundle(bundle: dict) -> Iterator[Record]:
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        yield Rejected("Bundle.entry", "Bundle.entry is not a list")
        return
    full_urls = {}
    for entry in entries:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(resource, dict) and entry.get("fullUrl"):
            rid = resource.get("id") or entry["fullUrl"].rsplit(":", 1)[-1].rsplit("/", 1)[-1]
            full_urls[entry["fullUrl"]] = f"{resource.get('resourceType')}/{rid}"
    refs = References(full_urls)
    for number, entry in enumerate(entries, start=1):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            yield Rejected(f"entry {number}", "Bundle entry without a resource", _raw(entry))
            continue
        if not resource.get("id") and isinstance(entry.get("fullUrl"), str):
            resource = dict(resource, id=refs.full_urls[entry["fullUrl"]].split("/", 1)[1])
        yield _map(resource, f"entry {number}", refs)


def _read_ndjson(path: Path) -> Iterator[Record]:
    refs = References({})
    try:
        with _open_text(path) as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    resource = json.loads(line)
                except json.JSONDecodeError as exc:
                    yield Rejected(f"line {number}", f"malformed JSON at column {exc.colno}: {exc.msg}", line)
                    continue
                if not isinstance(resource, dict):
                    yield Rejected(f"line {number}", "not a FHIR resource (not a JSON object)", line)
                    continue
                yield _map(resource, f"line {number}", refs)
    except UnicodeDecodeError as exc:
        raise UnreadableFile(str(path), f"not UTF-8 text as FHIR NDJSON must be (byte {exc.start})") from None
    except (OSError, EOFError) as exc:
        raise UnreadableFile(str(path), f"cannot read file ({exc})") from None


def _map(resource: dict, position: str, refs: References) -> Record:
    kind = resource.get("resourceType")
    where = f"{position} ({kind}/{resource.get('id', '?')})"
    if not isinstance(kind, str) or not kind:
        return Rejected(position, "resource without a resourceType", _raw(resource))
    if kind not in fhir_mapping.MAPPERS:
        if is_fhir_type(kind):
            return Skipped(where, f"unmapped resource type {kind}")
        return Rejected(where, f"unknown FHIR resource type {kind!r}", _raw(resource))
    problem = validate(resource)
    if problem:
        return Rejected(where, f"invalid FHIR {kind}: {problem}", _raw(resource))
    try:
        result = fhir_mapping.MAPPERS[kind](resource, refs)
    except MappingError as exc:
        return Rejected(where, str(exc), _raw(resource))
    if isinstance(result, str):
        return Skipped(where, result)
    return Parsed(where, result)


def _raw(value: object) -> str:
    try:
        return json.dumps(value, ensure_ascii=False)[:2000]
    except (TypeError, ValueError):
        return repr(value)[:2000]
