"""The drafted letter as files: a Word document (python-docx) the clinician edits, and a
self-contained HTML page (no script, no external resource). Each sentence ends with the numbers
of its sources; the list of sources quotes each sentence or row with where it is (the note, its
date and the characters of the passage; the table and row)."""

from __future__ import annotations

import html
import io

from docx import Document
from docx.shared import Pt, RGBColor

SOURCE_WORDS = {"fr": ("document", "caractères", "ligne"), "en": ("note", "characters", "row")}


def source_text(source: dict, lang: str) -> str:
    """One source in words: ``Compte rendu ..., 2020-08-28 (document 123, caractères 588–634) : « ... »``."""
    doc, chars, row = SOURCE_WORDS.get(lang, SOURCE_WORDS["fr"])
    quote = f"« {source['text']} »" if lang == "fr" else f"“{source['text']}”"
    if source.get("note_id"):
        where = f"{source.get('title') or doc}, {source.get('date') or '?'} ({doc} {source['note_id']}, {chars} {source['start']}–{source['end']})"
    else:
        where = f"{source['table']}, {row} {source['row']}" + (f", {source['date']}" if source.get("date") else "")
    return f"{where} : {quote}" if lang == "fr" else f"{where}: {quote}"


def _marks(sentence: dict) -> str:
    return f" [{', '.join(map(str, sentence['sources']))}]" if sentence["sources"] else ""


def to_docx(letter: dict) -> bytes:
    document = Document()
    document.core_properties.title = letter["title"]
    document.core_properties.comments = letter["notice"]
    document.add_heading(letter["title"], level=1)
    notice = document.add_paragraph(letter["notice"])
    notice.runs[0].italic = True
    for section in letter["sections"]:
        if section["heading"]:
            document.add_heading(section["heading"], level=2)
        for sentence in section["sentences"]:
            paragraph = document.add_paragraph()
            run = paragraph.add_run(sentence["text"])
            if sentence.get("blank"):
                run.font.color.rgb = RGBColor(0x99, 0x33, 0x00)
            if sentence["sources"]:
                marks = paragraph.add_run(_marks(sentence))
                marks.font.superscript = True
                marks.font.size = Pt(8)
    document.add_heading(letter["sources_heading"], level=2)
    for source in letter["sources"]:
        document.add_paragraph(f"[{source['n']}] {source_text(source, letter['lang'])}")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def to_html(letter: dict) -> str:
    e = html.escape
    parts = [f'<!doctype html><html lang="{e(letter["lang"])}"><head><meta charset="utf-8"><title>{e(letter["title"])}</title>',
             "<style>body{font-family:serif;max-width:46em;margin:2em auto;line-height:1.45}sup{color:#555}"
             ".blank{color:#930}.notice{font-style:italic;color:#555}ol.sources{font-size:.85em}</style></head><body>",
             f"<h1>{e(letter['title'])}</h1><p class=\"notice\">{e(letter['notice'])}</p>"]
    for section in letter["sections"]:
        if section["heading"]:
            parts.append(f"<h2>{e(section['heading'])}</h2>")
        for sentence in section["sentences"]:
            refs = "".join(f'<a href="#source-{n}">{n}</a>' if i == 0 else f', <a href="#source-{n}">{n}</a>' for i, n in enumerate(sentence["sources"]))
            css = ' class="blank"' if sentence.get("blank") else ""
            parts.append(f"<p{css}>{e(sentence['text'])}{f' <sup>[{refs}]</sup>' if refs else ''}</p>")
    parts.append(f"<h2>{e(letter['sources_heading'])}</h2><ol class=\"sources\">")
    for source in letter["sources"]:
        parts.append(f'<li id="source-{source["n"]}" value="{source["n"]}">{e(source_text(source, letter["lang"]))}</li>')
    parts.append("</ol></body></html>")
    return "".join(parts)
