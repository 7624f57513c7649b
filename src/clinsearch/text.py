"""Text folding shared by every layer: case and accents ignored, as a user expects when typing.

>>> fold("Échographie CARDIAQUE")
'echographie cardiaque'
>>> fold("Straße")
'strasse'
"""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """``text`` case-folded with its combining marks (accents) removed. The result may be longer
    than ``text`` ("ß" folds to "ss"): callers that need offsets check the lengths."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))
