"""Pseudonymisation of clinical text: what a researcher reads instead of the note.

Rules, and the patient's own identity from ``person_identity`` when the source gave it (as
hospitals do: the identity they know is the first thing to remove):

* the patient's family and given names, address, city, phone, e-mail and identifiers, wherever
  they appear (case and accents ignored);
* names after a civility or a title ("M.", "Mme", "Dr", "Pr", "Docteur" ...);
* phone numbers (French formats), e-mail addresses;
* NIR (French social security number) whose key checks (97 - number mod 97, Corsica 2A/2B
  counted as 19/18), so that any 15-digit number is not taken for one;
* IPP / NDA / dossier numbers after their label, and the patient's own IPP anywhere;
* street addresses ("12 rue ...") and postal code + city;
* dates, shifted by the patient's offset in days, so that intervals between dates are kept.

>>> pseudonymize("Mme DUPONT Marie, née le 12/03/1950, tél 06 12 34 56 78.", shift_days=10).text
'Mme [NOM], née le 22/03/1950, tél [TÉLÉPHONE].'
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass, field

from clinsearch.nlp.spans import non_overlapping

TITLE = r"(?:M\.|Mr\.?|Mme|Mlle|Madame|Monsieur|Mademoiselle|Dr\.?|Pr\.?|Docteur|Professeur)"
NAME_WORD = r"[A-ZÀ-Ý][A-ZÀ-Ýa-zà-ÿ'\-]+"
PATTERNS = [
    ("EMAIL", re.compile(r"\b[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+\b")),
    ("TÉLÉPHONE", re.compile(r"(?<!\d)(?:\+33\s?|0033\s?|0)[1-9](?:[\s.\-]?\d{2}){4}(?!\d)")),
    ("NIR", re.compile(r"(?<!\d)[12][\s.]?\d{2}[\s.]?(?:0[1-9]|1[0-2]|[2-9]\d)[\s.]?(?:\d{2}|2A|2B)[\s.]?\d{3}[\s.]?\d{3}(?:[\s.]?\d{2})?(?!\d)")),
    ("IPP", re.compile(r"(?i)\b(?:IPP|NDA|NIP|n°\s*(?:de\s+)?dossier|dossier\s+n°)\s*[:n°]*\s*(\d{5,12})\b")),
    ("ADRESSE", re.compile(r"(?i)\b\d{1,4}(?:\s?(?:bis|ter))?,?\s+(?:rue|avenue|av\.|boulevard|bd|place|chemin|allée|impasse|route|quai|cours|square)\s+(?:(?:de|du|des|la|le|l'|d')\s*)*[A-ZÀ-Ýa-zà-ÿ'\-]+(?:\s+[A-ZÀ-Ý][a-zà-ÿ'\-]+){0,3}")),
    ("VILLE", re.compile(r"(?<!\d)\d{5}\s+[A-ZÀ-Ý][A-ZÀ-Ýa-zà-ÿ'\-]+(?:[\s\-][A-ZÀ-Ý][A-ZÀ-Ýa-zà-ÿ'\-]+)*")),
    ("NOM", re.compile(rf"(?<!\w){TITLE}\s+({NAME_WORD}(?:\s+{NAME_WORD})?)")),
]
MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"]
DATES = [
    ("%d/%m/%Y", re.compile(r"(?<!\d)(\d{1,2})/(\d{1,2})/(\d{4})(?!\d)")),
    ("%Y-%m-%d", re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")),
    ("long", re.compile(r"(?i)(?<!\d)(\d{1,2})(?:er)?\s+(" + "|".join(MONTHS) + r")\s+(\d{4})(?!\d)")),
]


@dataclass
class Replacement:
    start: int
    end: int
    kind: str  # NOM, PRÉNOM, TÉLÉPHONE, EMAIL, NIR, IPP, ADRESSE, VILLE, DATE
    written: str = ""  # what stands in the pseudonymised text instead


@dataclass
class Pseudonymized:
    text: str
    replacements: list[Replacement] = field(default_factory=list)


def nir_key_ok(digits: str) -> bool:
    """Whether a 15-character NIR (13 + key) has the right key."""
    body, key = digits[:13].upper(), digits[13:]
    if len(body) != 13 or len(key) != 2 or not key.isdigit():
        return False
    body = body.replace("2A", "19").replace("2B", "18")
    if not body.isdigit():
        return False
    return 97 - int(body) % 97 == int(key)


def pseudonymize(text: str, identity: dict | None = None, shift_days: int = 0) -> Pseudonymized:
    """``text`` with direct identifiers replaced and dates shifted by ``shift_days``."""
    spans = _identity_spans(text, identity or {}) + _pattern_spans(text)
    chosen = non_overlapping(spans)
    parts, position, replacements = [], 0, []
    for start, end, kind in chosen:
        parts.append(text[position:start])
        replacement = f"[{kind}]"
        if kind == "DATE":
            replacement = _shift(text[start:end], shift_days)
        parts.append(replacement)
        replacements.append(Replacement(start, end, kind, replacement))
        position = end
    parts.append(text[position:])
    return Pseudonymized("".join(parts), replacements)


def _fold(text: str) -> str:
    # Not clinsearch.text.fold, which keeps what NFKD leaves non-ASCII ("œ", "°", "’"): this one
    # drops it, so that a note holding any such character fails the length check below and is
    # searched case-insensitively only -- switching would change which identities are found.
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()


def _identity_spans(text: str, identity: dict) -> list[tuple[int, int, str]]:
    """Every occurrence of the patient's own identity, case and accents ignored."""
    wanted = []
    for key, kind in (("family_name", "NOM"), ("given_name", "PRÉNOM"), ("address", "ADRESSE"), ("city", "VILLE"), ("phone", "TÉLÉPHONE"), ("email", "EMAIL"), ("ipp", "IPP")):
        value = str(identity.get(key) or "").strip()
        if len(value) >= 2:
            wanted.append((value, kind))
    folded = _fold(text)
    if len(folded) != len(text):  # folding changed lengths (rare characters): match as written
        folded = text.lower()
    spans = []
    for value, kind in wanted:
        needle = _fold(value) if len(_fold(value)) == len(value) else value.lower()
        for match in re.finditer(r"(?<!\w)" + re.escape(needle) + r"(?!\w)", folded):
            spans.append((match.start(), match.end(), kind))
    return spans


def _pattern_spans(text: str) -> list[tuple[int, int, str]]:
    spans = []
    for kind, pattern in PATTERNS:
        for match in pattern.finditer(text):
            if kind == "NIR" and not nir_key_ok(re.sub(r"[\s.]", "", match.group(0))):
                continue
            start, end = match.span(1) if pattern.groups else match.span()  # group 1: the value after its label
            spans.append((start, end, kind))
    for _, pattern in DATES:
        for match in pattern.finditer(text):
            spans.append((match.start(), match.end(), "DATE"))
    return spans


def _shift(written: str, days: int) -> str:
    for form, pattern in DATES:
        match = pattern.fullmatch(written)
        if not match:
            continue
        try:
            if form == "%d/%m/%Y":
                day = dt.date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
            elif form == "%Y-%m-%d":
                day = dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
            else:
                day = dt.date(int(match.group(3)), MONTHS.index(match.group(2).lower()) + 1, int(match.group(1)))
        except ValueError:
            return "[DATE]"  # an impossible date is still an identifier: hide it
        moved = day + dt.timedelta(days=days)
        if form == "long":
            return f"{moved.day} {MONTHS[moved.month - 1]} {moved.year}"
        return moved.strftime(form)
    return "[DATE]"


def moved(replacements: list[Replacement], start: int, end: int) -> tuple[int, int] | None:
    """Where the stretch ``start:end`` of the original text lies in the pseudonymised one (None
    when it overlaps a replaced identifier), so that annotations and highlights follow."""
    delta = 0
    for r in replacements:
        if r.end <= start:
            delta += len(r.written) - (r.end - r.start)
        elif r.start < end:
            return None
        else:
            break
    return start + delta, end + delta


def date_shift(person_id: int, secret: bytes, max_days: int = 365) -> int:
    """The patient's date offset in days: stable, secret, within +-``max_days``, never 0."""
    digest = hmac.new(secret, str(person_id).encode(), hashlib.sha256).digest()
    value = int.from_bytes(digest[:8], "big") % (2 * max_days) - max_days  # in [-max_days, max_days)
    return value if value != 0 else max_days


def person_pseudonym(person_id: int, secret: bytes) -> str:
    """The patient's pseudonym: ``P-`` and 10 hex digits of an HMAC of the person id."""
    return f"P-{_person_digest(person_id, secret)[:10]}"


def person_number(person_id: int, secret: bytes) -> int:
    """The patient's pseudonymous integer id (48 bits of the same HMAC), for exported OMOP
    tables whose ``person_id`` must stay a number."""
    return int(_person_digest(person_id, secret)[:12], 16)


def _person_digest(person_id: int, secret: bytes) -> str:
    return hmac.new(secret, f"person:{person_id}".encode(), hashlib.sha256).hexdigest()
