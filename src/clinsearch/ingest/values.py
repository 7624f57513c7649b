"""Parsing the values sources write: dates, numbers, text in an unknown encoding.

Every parser raises ``ValueError`` with a message a data engineer can act on; readers turn it
into a quarantine reason naming the column and record.

>>> parse_date("2021-03-04"), parse_date("04/03/2021")
(datetime.date(2021, 3, 4), datetime.date(2021, 3, 4))
>>> parse_float("5,4")
5.4
>>> decode_text("diab\\xe8te".encode("latin-1"))
('diabète', 'cp1252')
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_FR_DATE = re.compile(r"^(\d{2})/(\d{2})/(\d{4})$")
_YEAR_MONTH = re.compile(r"^\d{4}(-\d{2})?$")
DATE_FORMATS = "YYYY-MM-DD, DD/MM/YYYY or an ISO 8601 date-time"


def parse_date(text: str) -> dt.date:
    text = text.strip()
    if _ISO_DATE.match(text):
        return _checked(lambda: dt.date.fromisoformat(text), text)
    match = _FR_DATE.match(text)
    if match:
        day, month, year = (int(g) for g in match.groups())
        return _checked(lambda: dt.date(year, month, day), text)
    return parse_datetime(text).date()


def parse_datetime(text: str) -> dt.datetime:
    """An ISO 8601 date-time, kept as the wall-clock time written (the offset is dropped)."""
    text = text.strip()
    match = _FR_DATE.match(text[:10])
    if match and (len(text) == 10 or text[10] in " T"):
        day, month, year = (int(g) for g in match.groups())
        text = f"{year:04d}-{month:02d}-{day:02d}{text[10:]}"
    if _ISO_DATE.match(text):
        return dt.datetime.combine(parse_date(text), dt.time())
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"unknown date format {text[:40]!r} (expected {DATE_FORMATS})") from None
    return value.replace(tzinfo=None)


def parse_partial_date(text: str) -> dt.date:
    """FHIR dates may be partial (``1980`` or ``1980-07``): the first day is taken."""
    text = text.strip()
    if _YEAR_MONTH.match(text):
        year, _, month = text.partition("-")
        return dt.date(int(year), int(month or 1), 1)
    return parse_date(text)


def parse_int(text: str) -> int:
    text = text.strip()
    try:
        return int(text)
    except ValueError:
        number = parse_float(text)
        if not number.is_integer():
            raise ValueError(f"expected a whole number, got {text[:40]!r}") from None
        return int(number)


def parse_float(text: str) -> float:
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "")
    if "," in cleaned and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")  # French decimal comma
    try:
        return float(cleaned)
    except ValueError:
        raise ValueError(f"expected a number, got {text[:40]!r}") from None


def _checked(make, text: str):
    try:
        return make()
    except ValueError:
        raise ValueError(f"impossible date {text!r}") from None


def decode_text(data: bytes) -> tuple[str, str]:
    """Text and the encoding it was written in: UTF-8 (with or without BOM), UTF-16 with a BOM,
    else Windows-1252 (the superset of Latin-1 that French exports use). Binary data raises."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    if b"\x00" in data:
        raise ValueError("binary content (NUL bytes), not text")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def file_checksum(*paths: Path) -> str:
    """SHA-256 over the bytes of ``paths``, in order."""
    digest = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()
