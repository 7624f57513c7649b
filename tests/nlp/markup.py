"""Marked-up sentences, as EDS-NLP writes its tests: the expectation sits inside the example.

``"Pas d'<ent negated>embolie pulmonaire</ent>."`` says the pipeline must find an entity on
"embolie pulmonaire" that is negated and nothing else (no hypothesis, family ...);
``<ent code=I26>`` also pins its code, ``<ent label=drug>`` its label.
"""

from __future__ import annotations

import re

FLAGS = ("negated", "hypothesis", "family", "history", "reported")
TAG = re.compile(r"<ent([^>]*)>(.*?)</ent>")


def parse(marked: str) -> tuple[str, list[dict]]:
    """(plain text, expected entities with start, end, text and attributes)."""
    text, expected, position = "", [], 0
    for match in TAG.finditer(marked):
        text += marked[position:match.start()]
        start = len(text)
        text += match.group(2)
        attributes = dict(re.findall(r"(\w+)=([^\s]+)", match.group(1)))
        flags = set(re.findall(r"(?<![=\w])(\w+)(?!=)", re.sub(r"\w+=[^\s]+", "", match.group(1))))
        expected.append({"start": start, "end": len(text), "text": match.group(2), "flags": flags, **attributes})
        position = match.end()
    return text + marked[position:], expected


def check(entities, expected: list[dict]) -> None:
    for want in expected:
        found = [e for e in entities if e.start == want["start"] and e.end == want["end"]]
        assert found, f"no entity on {want['text']!r}; found {[(e.text, e.label) for e in entities]}"
        entity = found[0]
        for flag in FLAGS:
            assert getattr(entity, flag) == (flag in want["flags"]), f"{want['text']!r}: {flag} should be {flag in want['flags']}"
        if "code" in want:
            assert entity.code == want["code"], f"{want['text']!r}: code {entity.code} != {want['code']}"
        if "label" in want:
            assert entity.label == want["label"], f"{want['text']!r}: label {entity.label} != {want['label']}"
