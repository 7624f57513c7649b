"""The open default terminology: what it holds, its hierarchies and mappings, and its build."""

from __future__ import annotations

import gzip
import hashlib
from collections import Counter

from clinsearch import terminology
from clinsearch.terminology.build import build


def keys(concepts) -> set[tuple[str, str]]:
    return {(c.vocabulary, c.code) for c in concepts}


def test_more_than_ten_thousand_searchable_concepts_each_with_its_source():
    table = terminology.terminology()
    named = [c for c in table.concepts.values() if c.terms()]
    assert len(named) >= 10_000
    assert all(c.source for c in table.concepts.values())
    by_vocabulary = Counter(c.vocabulary for c in named)
    assert by_vocabulary["ORPHA"] > 9_000 and by_vocabulary["BDPM"] > 5_000 and by_vocabulary["CIM10"] > 10_000 and by_vocabulary["HPO"] > 10_000


def test_the_cim10_hierarchy_has_chapters_blocks_categories_and_french_labels():
    assert terminology.ancestors("CIM10", "E119") == [("CIM10", "E11"), ("CIM10", "E10-E14"), ("CIM10", "IV")]
    below = terminology.descendants("CIM10", "E10-E14")
    assert {("CIM10", "E10"), ("CIM10", "E11"), ("CIM10", "E149")} <= below and ("CIM10", "E230") not in below  # diabetes insipidus
    assert terminology.concept("CIM10", "E11").label == "Diabète sucré de type 2"  # EDS-NLP's French label


def test_atc_has_its_five_levels_and_brand_names_map_to_substances():
    assert terminology.ancestors("ATC", "B01AF02") == [("ATC", "B01AF"), ("ATC", "B01A"), ("ATC", "B01"), ("ATC", "B")]
    assert terminology.maps_to("BDPM", "LOVENOX") == [("ATC", "B01AB05")]
    assert "ÉNOXAPARINE SODIQUE" in terminology.concept("BDPM", "LOVENOX").terms()
    assert ("BDPM", "ELIQUIS") in keys(terminology.lookup("eliquis"))


def test_anticoagulant_is_the_anticoagulant_classes_with_their_brands_not_the_antiplatelet_agents():
    found = terminology.expansion("CLINSEARCH", "anticoagulant")
    assert {("ATC", "B01AF02"), ("ATC", "B01AB05"), ("BDPM", "ELIQUIS"), ("BDPM", "LOVENOX"), ("ATC", "B01AA03")} <= found
    assert not {k for k in found if k[0] == "ATC" and k[1].startswith("B01AC")}  # aspirin, clopidogrel
    assert ("BDPM", "KARDEGIC") not in found


def test_rare_diseases_come_with_french_and_english_synonyms():
    [alexander] = [c for c in terminology.lookup("maladie d'Alexander") if c.vocabulary == "ORPHA"]
    assert alexander.code == "58" and "Alexander disease" in alexander.terms("en") and "AxD" in alexander.terms()
    assert ("ORPHA", "58") in keys(terminology.lookup("ALEXANDER DISEASE"))  # case and language do not matter


def test_lookup_ignores_case_accents_and_plural_but_not_other_words():
    assert ("CLINSEARCH", "cancer_sein") in keys(terminology.lookup("Carcinomes canalaires infiltrants du sein"))
    assert ("CLINSEARCH", "diabete") in keys(terminology.lookup("DIABETE"))
    assert not terminology.lookup("diabète et hypertension")


def test_abbreviations_have_their_senses():
    senses = terminology.abbreviations("HTA")
    assert ("hypertension arterielle", True) in senses


def test_the_build_is_reproducible_and_keeps_only_active_rare_diseases(tmp_path):
    root = tmp_path / "terminologies"
    files = {
        "icd10/who_icd10_2019_structure/who_icd10_2019_codes_parents_NO_LABELS.tsv":
            "kind\tcode\tparent_code\tdepth\tchapter\tblock\nchapter\tIV\t\t0\tIV\t\nblock\tE10-E14\tIV\t1\tIV\tE10-E14\ncategory\tE11\tE10-E14\t2\tIV\tE10-E14\nsubcategory\tE11.9\tE11\t3\tIV\tE10-E14\n",
        "atc/atc_codes_seen_in_bdpm_mitm.tsv": "atc_code\tlevel\tatc_level1\tatc_level2\tatc_level3\tatc_level4\tn_cis_in_MITM\nB01AF02\t5\tB\tB01\tB01A\tB01AF\t6\n",
        "bdpm/derived/bdpm_substance_to_atc5_monocomponent_utf8.tsv": "substance_name\tatc5\tn_specialites_supporting\nAPIXABAN\tB01AF02\t6\n",
        "bdpm/derived/bdpm_brand_to_substances_atc_utf8.tsv":
            "brand_name_heuristic\tn_cis\tcis_codes\tactive_substances\tatc5_codes_from_MITM\nELIQUIS\t6\t1|2\tAPIXABAN\t\nXY\t1\t3\tAPIXABAN\tB01AF02\n",
        "orphanet/derived/orphanet_synonyms_2023.tsv": "orpha_code\tlang\tsynonym\n58\ten\tAxD\n",
        "orphanet/derived/orphanet_hierarchy_2023.tsv": "classification_id\tparent_orpha_code\tchild_orpha_code\n146\t68356\t58\n",
        "orphanet/derived/orphanet_disorders_2023.tsv": "orpha_code\tname_en\tname_fr\tstatus_en\tdisorder_type_en\n58\tAlexander disease\tMaladie d'Alexander\tActive\tDisease\n59\tOld\tAncien\tInactive: Obsolete\tDisease\n",
        "loinc_fr_subset/eds_socle_commun_ans/eds_lab_loinc_to_omop.tsv":
            "loinc_code\tomop_concept_id\tloinc_long_name_en\tequivalence\tdisplay_fr_from_cisis_jdv\n2160-0\t3016723\tCreatinine [Mass/volume] in Serum or Plasma\tequivalent\tCréatinine:Masse/Volume\n",
        "hpo_fr/raw/hp-fr-preprocessed.babelon.tsv": "subject_id\tsource_language\n",
        "abbreviations_fr/sense_inventory.tsv": "shortForm\tlongForm\tsense\tPT\nhta\thypertension arterielle\t1\t1\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, "utf-8")
    counts = build(root, tmp_path / "one")
    build(root, tmp_path / "two")
    digest = [hashlib.sha256((tmp_path / d / "concepts.tsv.gz").read_bytes()).hexdigest() for d in ("one", "two")]
    assert digest[0] == digest[1]
    assert counts == {"ATC": 5, "BDPM": 1, "CIM10": 4, "LOINC": 1, "ORPHA": 1}  # XY: too short a name; 59: inactive
    rows = gzip.decompress((tmp_path / "one" / "concepts.tsv.gz").read_bytes()).decode("utf-8").splitlines()
    assert "BDPM\tELIQUIS\tELIQUIS\t\tAPIXABAN\t\t\tATC:B01AF02\tBDPM 2026-05 (brand name, active substances, ATC)" in rows
    assert any(r.startswith("CIM10\tE119\t") and "\tE11\t" in r for r in rows)
