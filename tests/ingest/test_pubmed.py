"""The article reader: PubMed/MEDLINE XML and JATS."""

from __future__ import annotations

import datetime as dt

from tests.helpers import counts, load, quarantine, query, run_cli

MEDLINE = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2024//EN" "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_240101.dtd">
<PubmedArticleSet>
<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">111</PMID>
<Article><Journal><Title>Thorax</Title><JournalIssue><PubDate><Year>2019</Year><Month>Sep</Month><Day>5</Day></PubDate></JournalIssue></Journal>
<ArticleTitle>Pulmonary embolism &amp; <i>D-dimer</i> testing</ArticleTitle>
<Abstract><AbstractText Label="BACKGROUND">Background text.</AbstractText><AbstractText Label="RESULTS">Results text.</AbstractText></Abstract>
<AuthorList><Author><LastName>Dupont</LastName><ForeName>Marie</ForeName></Author><Author><CollectiveName>PE Study Group</CollectiveName></Author></AuthorList>
<Language>eng</Language></Article>
<MeshHeadingList><MeshHeading><DescriptorName>Pulmonary Embolism</DescriptorName></MeshHeading><MeshHeading><DescriptorName>Fibrin Fibrinogen Degradation Products</DescriptorName></MeshHeading></MeshHeadingList>
<KeywordList><Keyword>CTPA</Keyword></KeywordList></MedlineCitation>
<PubmedData><ArticleIdList><ArticleId IdType="pubmed">111</ArticleId><ArticleId IdType="doi">10.1/abc</ArticleId><ArticleId IdType="pmc">PMC42</ArticleId></ArticleIdList></PubmedData></PubmedArticle>
<PubmedArticle><MedlineCitation><PMID>222</PMID><Article><Journal><Title>J</Title><JournalIssue><PubDate><MedlineDate>1998 Dec-1999 Jan</MedlineDate></PubDate></JournalIssue></Journal><ArticleTitle></ArticleTitle></Article></MedlineCitation></PubmedArticle>
</PubmedArticleSet>
"""

JATS = """<?xml version="1.0" encoding="UTF-8"?>
<article article-type="research-article" xml:lang="en">
<front><journal-meta><journal-title-group><journal-title>BMC Medicine</journal-title></journal-title-group></journal-meta>
<article-meta><article-id pub-id-type="pmid">333</article-id><article-id pub-id-type="pmc">7</article-id>
<title-group><article-title>Statins in the elderly</article-title></title-group>
<contrib-group><contrib contrib-type="author"><name><surname>Martin</surname><given-names>Paul</given-names></name></contrib></contrib-group>
<pub-date pub-type="epub"><day>02</day><month>03</month><year>2021</year></pub-date>
<abstract><p>Abstract of the article.</p></abstract><kwd-group><kwd>statins</kwd></kwd-group></article-meta></front>
<body><p>Body.</p></body></article>
"""


def test_medline_citations_become_articles_and_one_without_title_is_quarantined(data, tmp_path):
    path = tmp_path / "pubmed24n0001.xml"
    path.write_text(MEDLINE, encoding="utf-8")
    result = load(data, path)
    assert result.summaries[0].loaded == 1 and result.summaries[0].quarantined == 1
    row = query(data, "SELECT pmid, pmcid, doi, title, abstract, authors, journal, publication_date, mesh_terms, keywords FROM article")[0]
    assert row[:4] == ("111", "PMC42", "10.1/abc", "Pulmonary embolism & D-dimer testing")
    assert row[4] == "BACKGROUND: Background text.\nRESULTS: Results text."
    assert row[5] == "Marie Dupont; PE Study Group" and row[6] == "Thorax" and row[7] == dt.date(2019, 9, 5)
    assert row[8] == "Pulmonary Embolism; Fibrin Fibrinogen Degradation Products" and row[9] == "CTPA"
    assert quarantine(data)[0]["source_record"] == "article 2 (222)"


def test_jats_articles_are_read(data, tmp_path):
    path = tmp_path / "PMC7.nxml"
    path.write_text(JATS, encoding="utf-8")
    assert load(data, path).ok
    assert query(data, "SELECT pmid, pmcid, title, authors, publication_year, language FROM article")[0] == ("333", "PMC7", "Statins in the elderly", "Paul Martin", 2021, "en")


def test_truncated_xml_is_refused_whole(data, tmp_path):
    path = tmp_path / "cut.xml"
    path.write_text(MEDLINE[: len(MEDLINE) // 2], encoding="utf-8")
    result = run_cli("--data", data, "ingest", path)
    assert result.exit_code == 1 and "cut.xml: malformed XML at line" in result.stderr
    assert counts(data)["article"] == 0


def test_external_entities_are_never_expanded(data, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET", encoding="utf-8")
    hostile = MEDLINE.replace(
        '<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2024//EN" "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_240101.dtd">',
        f'<!DOCTYPE PubmedArticleSet [<!ENTITY xxe SYSTEM "file://{secret}">]>',
    ).replace("Background text.", "&xxe;")
    path = tmp_path / "hostile.xml"
    path.write_text(hostile, encoding="utf-8")
    load(data, path)
    abstracts = [r[0] or "" for r in query(data, "SELECT abstract FROM article")]
    assert not any("TOP SECRET" in a for a in abstracts)
