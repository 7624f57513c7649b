"""Which language a note is written in: French or English, from its most frequent short words.

>>> detect("Pas de fièvre. Le patient est sorti le 12/03.")
'fr'
>>> detect("No fever. The patient was discharged home.")
'en'
"""

from __future__ import annotations

import re

FRENCH = frozenset("le la les de des du un une et est en pas pour dans sur avec au aux sans il elle par ne que qui".split())
ENGLISH = frozenset("the of and to in is was with for no on at by not he she his her patient which that".split())
WORD = re.compile(r"[a-zà-ÿ]+")


def detect(text: str, default: str = "fr") -> str:
    words = WORD.findall(text[:5000].lower())
    french = sum(w in FRENCH for w in words)
    english = sum(w in ENGLISH for w in words)
    if french == english:
        return default
    return "fr" if french > english else "en"
