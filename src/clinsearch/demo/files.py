"""Writers for the demo's imaging headers (DICOM) and scientific articles (PubMed, JATS)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from xml.sax.saxutils import escape

from clinsearch.demo import phrases

UID_ROOT = "1.2.826.0.1.3680043.10.1337"  # a private root for synthetic UIDs


def write_dicom_series(folder: Path, index: int, study: dict, instances: int = 2) -> None:
    """One study with one series of ``instances`` header-only DICOM files (no pixel data)."""
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian

    modality, body_part, description, _ = study["study"]
    patient = study["patient"]
    study_uid = f"{UID_ROOT}.{index}"
    series_uid = f"{study_uid}.1"
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(1, instances + 1):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"  # Secondary Capture
        meta.MediaStorageSOPInstanceUID = f"{series_uid}.{number}"
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        path = folder / f"study{index:04d}_{number}.dcm"
        ds = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
        ds.SOPClassUID = meta.MediaStorageSOPClassUID
        ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
        ds.PatientID = patient["ipp"]
        ds.PatientName = f"{patient['family_name'].upper()}^{patient['given_name']}"
        ds.PatientBirthDate = patient["birth_date"].strftime("%Y%m%d")
        ds.PatientSex = patient["sex"]
        ds.StudyInstanceUID = study_uid
        ds.SeriesInstanceUID = series_uid
        ds.StudyDate = study["day"].strftime("%Y%m%d")
        ds.SeriesDate = ds.StudyDate
        ds.Modality = modality
        ds.BodyPartExamined = body_part
        ds.StudyDescription = description
        ds.SeriesDescription = f"{description} - série 1"
        ds.AccessionNumber = study["accession"]
        ds.InstanceNumber = number
        ds.save_as(path, enforce_file_format=True)


def write_articles(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    articles = []
    for number, (title, abstract, mesh) in enumerate(phrases.ARTICLES, start=1):
        pmid = str(90000000 + number)
        year = 2012 + number % 12
        headings = "".join(f'<MeshHeading><DescriptorName UI="D{number:06d}">{escape(m)}</DescriptorName></MeshHeading>' for m in mesh)
        articles.append(
            f"""<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">{pmid}</PMID>
<Article PubModel="Print"><Journal><JournalIssue><PubDate><Year>{year}</Year><Month>Mar</Month></PubDate></JournalIssue>
<Title>Demo Journal of Clinical Medicine</Title></Journal><ArticleTitle>{escape(title)}</ArticleTitle>
<Abstract><AbstractText Label="BACKGROUND">{escape(abstract)}</AbstractText><AbstractText Label="CONCLUSION">Synthetic abstract written for the clinsearch demo.</AbstractText></Abstract>
<AuthorList><Author><LastName>Demo</LastName><ForeName>Author</ForeName></Author></AuthorList><Language>eng</Language></Article>
<MeshHeadingList>{headings}</MeshHeadingList></MedlineCitation>
<PubmedData><ArticleIdList><ArticleId IdType="pubmed">{pmid}</ArticleId><ArticleId IdType="doi">10.0000/demo.{number}</ArticleId></ArticleIdList></PubmedData></PubmedArticle>"""
        )
    (folder / "pubmed_demo.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<PubmedArticleSet>\n' + "\n".join(articles) + "\n</PubmedArticleSet>\n", encoding="utf-8"
    )
    (folder / "jats_demo.nxml").write_text(
        f"""<?xml version="1.0" encoding="UTF-8"?>
<article xmlns:xlink="http://www.w3.org/1999/xlink" article-type="research-article" xml:lang="fr">
<front><journal-meta><journal-title-group><journal-title>Revue de démonstration</journal-title></journal-title-group></journal-meta>
<article-meta><article-id pub-id-type="pmc">9000001</article-id><article-id pub-id-type="doi">10.0000/demo.jats</article-id>
<title-group><article-title>Recherche d'information dans les entrepôts de données de santé</article-title></title-group>
<contrib-group><contrib contrib-type="author"><name><surname>Démo</surname><given-names>Auteur</given-names></name></contrib></contrib-group>
<pub-date pub-type="epub"><day>15</day><month>06</month><year>{dt.date(2024, 6, 15).year}</year></pub-date>
<abstract><p>La recherche plein texte sensible à la négation améliore l'identification des patients dans un entrepôt de données de santé.</p></abstract>
<kwd-group><kwd>entrepôt de données de santé</kwd><kwd>négation</kwd></kwd-group>
</article-meta></front><body><p>Article synthétique écrit pour la démonstration de clinsearch.</p></body></article>
""",
        encoding="utf-8",
    )
