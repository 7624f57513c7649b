"""Reader for scientific articles: PubMed / MEDLINE citation XML (``PubmedArticleSet``, as in
the PubMed baseline files, plain or gzipped) and JATS articles (PubMed Central ``.nxml``).

Each article becomes one ``article`` row: identifiers (PMID, PMCID, DOI), title, abstract
(labelled sections kept as "LABEL: text"), authors, journal, publication date, MeSH terms and
keywords. The XML parser never fetches DTDs or expands external entities.
"""

from __future__ import annotations

import datetime as dt
import gzip
from pathlib import Path
from typing import Iterator

from lxml import etree

from clinsearch.ids import stable_id
from clinsearch.warehouse.records import Parsed, Record, Rejected, Row, UnreadableFile

SUFFIXES = (".xml", ".nxml", ".xml.gz")
MONTHS = {m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)}


def kind_of(path: Path) -> str | None:
    """'medline' or 'jats' from the first bytes of the file, else None."""
    try:
        with _open(path) as handle:
            head = handle.read(4096).decode("utf-8", errors="replace")
    except (OSError, EOFError):
        return None
    if "<PubmedArticleSet" in head or "<PubmedArticle" in head or "<MedlineCitation" in head:
        return "medline"
    if "<article" in head and ("JATS" in head or "article-meta" in head or "<front" in head or path.suffix == ".nxml"):
        return "jats"
    return None


def _open(path: Path):
    return gzip.open(path, "rb") if path.name.lower().endswith(".gz") else open(path, "rb")


def read(path: Path) -> Iterator[Record]:
    kind = kind_of(path)
    tag = "PubmedArticle" if kind == "medline" else "article"
    parse = _medline if kind == "medline" else _jats
    number = 0
    try:
        with _open(path) as handle:
            events = etree.iterparse(handle, events=("end",), tag=tag, resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=False)
            for _, element in events:
                number += 1
                if kind == "jats" and element.getparent() is not None and element.getparent().tag != "pmc-articleset":
                    continue  # a nested <article> (sub-article) belongs to its parent
                yield _record(parse, element, number)
                element.clear(keep_tail=True)
    except etree.XMLSyntaxError as exc:
        raise UnreadableFile(str(path), f"malformed XML at line {exc.lineno}: {exc.msg}") from None
    except (OSError, EOFError) as exc:
        raise UnreadableFile(str(path), f"cannot read file ({exc})") from None
    if number == 0:
        raise UnreadableFile(str(path), "no article found (expected PubmedArticle or JATS article elements)")


def _record(parse, element, number: int) -> Record:
    values = parse(element)
    label = values.get("pmid") or values.get("pmcid") or values.get("doi") or "?"
    position = f"article {number} ({label})"
    if not values.get("title"):
        return Rejected(position, "article without a title", etree.tostring(element, encoding="unicode")[:2000])
    key = values.get("pmid") or values.get("pmcid") or values.get("doi") or values["title"]
    values["article_id"] = stable_id("article", key)
    return Parsed(position, [Row("article", values)])


def _text(element) -> str:
    return " ".join("".join(element.itertext()).split()) if element is not None else ""


def _medline(article) -> dict:
    citation = article.find("MedlineCitation")
    if citation is None:
        citation = article
    body = citation.find("Article")
    if body is None:
        body = etree.Element("Article")
    abstract = []
    for part in body.findall("Abstract/AbstractText"):
        label = part.get("Label")
        abstract.append(f"{label}: {_text(part)}" if label else _text(part))
    authors = []
    for author in body.findall("AuthorList/Author"):
        name = " ".join(x for x in (_text(author.find("ForeName")), _text(author.find("LastName"))) if x)
        authors.append(name or _text(author.find("CollectiveName")))
    ids = {a.get("IdType"): _text(a) for a in article.findall("PubmedData/ArticleIdList/ArticleId")}
    day = _pub_date(body.find("Journal/JournalIssue/PubDate")) or _pub_date(body.find("ArticleDate"))
    mesh = [_text(d) for d in citation.findall("MeshHeadingList/MeshHeading/DescriptorName")]
    keywords = [_text(k) for k in citation.findall("KeywordList/Keyword")]
    return {
        "pmid": _text(citation.find("PMID")) or None,
        "pmcid": ids.get("pmc") or None,
        "doi": ids.get("doi") or next((_text(e) for e in body.findall("ELocationID") if e.get("EIdType") == "doi"), None),
        "title": _text(body.find("ArticleTitle")),
        "abstract": "\n".join(abstract) or None,
        "authors": "; ".join(a for a in authors if a) or None,
        "journal": _text(body.find("Journal/Title")) or None,
        "publication_date": day[0] if day else None,
        "publication_year": day[1] if day else None,
        "mesh_terms": "; ".join(mesh) or None,
        "keywords": "; ".join(keywords) or None,
        "language": _text(body.find("Language")) or None,
    }


def _jats(article) -> dict:
    meta = article.find("front/article-meta")
    if meta is None:
        meta = etree.Element("article-meta")
    ids = {a.get("pub-id-type"): _text(a) for a in meta.findall("article-id")}
    authors = []
    for contrib in meta.findall("contrib-group/contrib"):
        if contrib.get("contrib-type", "author") == "author":
            name = " ".join(x for x in (_text(contrib.find("name/given-names")), _text(contrib.find("name/surname"))) if x)
            authors.append(name or _text(contrib.find("collab")))
    pub_dates = meta.findall("pub-date")
    day = next((d for d in (_pub_date(p) for p in pub_dates) if d), None)
    pmcid = ids.get("pmc") or ids.get("pmcid")
    return {
        "pmid": ids.get("pmid") or None,
        "pmcid": (pmcid if not pmcid or pmcid.startswith("PMC") else f"PMC{pmcid}") or None,
        "doi": ids.get("doi") or None,
        "title": _text(meta.find("title-group/article-title")),
        "abstract": "\n".join(_text(a) for a in meta.findall("abstract")) or None,
        "authors": "; ".join(a for a in authors if a) or None,
        "journal": _text(article.find("front/journal-meta/journal-title-group/journal-title")) or _text(article.find("front/journal-meta/journal-title")) or None,
        "publication_date": day[0] if day else None,
        "publication_year": day[1] if day else None,
        "mesh_terms": None,
        "keywords": "; ".join(_text(k) for k in meta.findall("kwd-group/kwd")) or None,
        "language": article.get("{http://www.w3.org/XML/1998/namespace}lang"),
    }


def _pub_date(element) -> tuple[dt.date, int] | None:
    """(first day of the publication date, year) from Year/Month/Day or MedlineDate."""
    if element is None:
        return None
    year = _text(element.find("Year")) or _text(element.find("year"))
    if not year:
        medline = _text(element.find("MedlineDate"))
        year = medline[:4]
    if not year.isdigit():
        return None
    month_text = (_text(element.find("Month")) or _text(element.find("month")) or "1").lower()
    month = int(month_text) if month_text.isdigit() else MONTHS.get(month_text[:3], 1)
    day_text = _text(element.find("Day")) or _text(element.find("day")) or "1"
    try:
        return dt.date(int(year), month, int(day_text) if day_text.isdigit() else 1), int(year)
    except ValueError:
        return dt.date(int(year), 1, 1), int(year)
