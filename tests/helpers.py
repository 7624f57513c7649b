"""Helpers the tests share: the CLI run in-process, direct ingest calls, warehouse reads."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from clinsearch.cli.main import main
from clinsearch.ingest.run import IngestResult, ingest
from clinsearch.warehouse.stats import stats
from clinsearch.warehouse.store import open_store

DATA = Path(__file__).parent / "data"


def run_cli(*args: str):
    """Run ``clinsearch ARGS`` in-process; returns Click's result (exit_code, stdout, stderr)."""
    return CliRunner().invoke(main, [str(a) for a in args], prog_name="clinsearch", catch_exceptions=False)


def load(data: Path, *paths: Path) -> IngestResult:
    with open_store(data) as store:
        return ingest(store, list(paths))


def counts(data: Path) -> dict:
    with open_store(data, read_only=True) as store:
        return stats(store)["tables"]


def query(data: Path, sql: str, params=None) -> list[tuple]:
    with open_store(data, read_only=True) as store:
        return store.query(sql, params)


def quarantine(data: Path) -> list[dict]:
    with open_store(data, read_only=True) as store:
        return store.query_dicts("SELECT source_file, source_record, reason FROM quarantine ORDER BY quarantine_id")


def make_pdf(lines: list[str]) -> bytes:
    """A minimal one-page PDF whose text layer holds ``lines`` (no lines: a page without text,
    as a scanned document has). Written by hand so that no PDF writer is needed."""
    content = "BT /F1 12 Tf 72 720 Td 14 TL " + " ".join(f"({_pdf_escape(line)}) Tj T*" for line in lines) + " ET"
    stream = content.encode("latin-1") if lines else b""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _pdf_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
