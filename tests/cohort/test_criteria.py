"""Cohorts from criteria written in words (``cohort.criteria.draft``): 69 criteria texts as
protocols write them (ClinicalTrials.gov and French "critères de non-inclusion" style, with
their abbreviations and misspellings), each with the definition it must give -- every criterion
with its role, type, codes, bounds and unit, no other -- and the pieces it must report as not
understood. Every draft is a definition ``cohort.definition.read`` accepts, and no word of the
text is lost: each word that is no grammar word is in a criterion's text or in the not
understood."""

from __future__ import annotations

import pytest

from clinsearch.cohort.criteria import clauses, draft, sections
from clinsearch.cohort.criteria_text import role, roles, tokens
from clinsearch.cohort.definition import read
from clinsearch.terminology.model import name_key

DIABETES = ["E10*", "E11*", "E12*", "E13*", "E14*"]
ANTICOAGULANTS = ["B01AA*", "B01AB*", "B01AE*", "B01AF*", "B01AX05"]


def age(where="inclusion", **bounds):
    return (where, {"type": "demographics", "age": bounds})


def sex(value, where="inclusion"):
    return (where, {"type": "demographics", "sex": value})


def condition(codes, where="inclusion"):
    return (where, {"type": "condition", "codes": codes})


def drug(codes, where="inclusion"):
    return (where, {"type": "drug", "codes": codes})


def lab(code, where="inclusion", **bounds):
    return (where, {"type": "measurement", "code": code, **bounds})


def text(query, where="inclusion"):
    return (where, {"type": "text", "query": query})


def visit(kind, where="inclusion"):
    return (where, {"type": "visit", "kind": kind})


# (criteria as written, the criteria they must give, what must be reported as not understood, language)
CASES = [
    # the issue's own example: an age range, a condition by name, a measurement with its unit, a negation
    ("patients de 40 à 75 ans avec un diabète de type 2, HbA1c > 8 %, sans insuffisance rénale chronique",
     [age(min=40, max=75), condition(["E11*"]), lab("4548-4", above=8, unit="%"), condition(["N18*"], "exclusion")], [], "fr"),
    ("Patients âgés de 18 ans ou plus, hospitalisés pour une insuffisance cardiaque avec FEVG < 40 %",
     [age(min=18), visit("inpatient"), condition(["I50*"]), lab("10230-1", below=40, unit="%")], [], "fr"),
    ("Femmes de 50 à 74 ans sans antécédent de cancer du sein",
     [sex("F"), age(min=50, max=74), condition(["C50*"], "exclusion")], [], "fr"),
    # "ou" between two drug classes of the terminology's groups: one criterion with both
    ("Adultes avec une HTA traitée par IEC ou sartan, PAS ≥ 140 mmHg",
     [age(min=18), condition(["I10*"]), drug(["C09A*", "C09B*", "C09C*", "C09D*"]), lab("8480-6", min=140, unit="mmHg")], [], "fr"),
    # HbA1c in mmol/mol kept with its unit; "ni" carries the negation; dialysis has no code: text
    ("Patients DT2 sous insuline, HbA1c ≥ 64 mmol/mol, sans IRC ni dialyse",
     [condition(["E11*"]), drug(["A10A*"]), lab("4548-4", min=64, unit="mmol/mol"), condition(["N18*"], "exclusion"), text("dialyse", "exclusion")], [], "fr"),
    # "plus de 45 ans" in whole years; a decimal comma; a drug class
    ("Hommes de plus de 45 ans, LDL-cholestérol > 1,6 g/L, sans statine",
     [sex("M"), age(min=45), lab("13457-7", above=1.6, unit="g/L"), drug(["C10AA*"], "exclusion")], [], "fr"),
    # two headings on one line; the terminology's group of direct oral anticoagulants; a qualifier reported
    ("Critères d'inclusion : âge ≥ 65 ans ; fibrillation atriale ; traitement par AOD. "
     "Critères d'exclusion : insuffisance hépatique sévère, grossesse, INR > 3",
     [age(min=65), condition(["I48*"]), drug(["B01AE07", "B01AF*"]), text('"insuffisance hépatique"', "exclusion"), text("grossesse", "exclusion"),
      lab("6301-6", "exclusion", above=3, unit="{INR}")], ["sévère"], "fr"),
    # bullet lists under English headings; an abbreviation in parentheses is the same criterion; a sex word in an exclusion
    ("Inclusion criteria:\n- Adults aged 40-75 years\n- Type 2 diabetes mellitus (T2DM)\n- HbA1c between 7.0% and 10.0%\n"
     "Exclusion criteria:\n- Type 1 diabetes\n- eGFR < 30 mL/min/1.73 m2\n- Pregnant or breastfeeding women",
     [age(min=40, max=75), condition(["E11*"]), lab("4548-4", min=7, max=10, unit="%"), condition(["E10*"], "exclusion"),
      lab("62238-1", "exclusion", below=30, unit="mL/min/1.73m2")], ["Pregnant", "breastfeeding"], "en"),
    ("Patients with COPD, aged 50 years or older, current smokers",
     [condition(["J44*"]), age(min=50), condition(["F17*"])], [], "en"),
    # "no ... or ...": both excluded
    ("No history of myocardial infarction or stroke",
     [condition(["I21*"], "exclusion"), condition(["I63*", "I64*"], "exclusion")], [], "en"),
    ("Women 18 years and over with BMI ≥ 30 kg/m2, not on metformin",
     [sex("F"), age(min=18), lab("39156-5", min=30, unit="kg/m2"), drug(["A10BA02"], "exclusion")], [], "en"),
    # "moins de 80 ans" is at most 79 whole years; the clinsearch group of anticoagulants
    ("patients de moins de 80 ans avec embolie pulmonaire confirmée, sans anticoagulant",
     [age(max=79), condition(["I26*"]), drug(ANTICOAGULANTS, "exclusion")], [], "fr"),
    # "non-inclusion" heading and bullets; a bound on a duration is not understood (no index event)
    ("Critères de non-inclusion :\n• Cirrhose\n• Créatinine > 150 µmol/L\n• Espérance de vie < 6 mois",
     [condition(["K74*"], "exclusion"), lab("2160-0", "exclusion", above=150, unit="µmol/L")], ["Espérance de vie < 6 mois"], "fr"),
    # no accents, no unit space, "age" without accent, a qualifier
    ("diabete type 2 desequilibre (HbA1c > 9%), age 40-70 ans",
     [condition(["E11*"]), lab("4548-4", above=9, unit="%"), age(min=40, max=70)], ["desequilibre"], "fr"),
    # "ou" between two conditions: one criterion; a group of antiplatelet agents
    ("ATCD d'AVC ou d'AIT, sous antiagrégant plaquettaire",
     [condition(["I63*", "I64*", "G45*"]), drug(["B01AC*"])], [], "fr"),
    # a misspelling read as the nearest medical word; a stage not expressible
    ("insufisance renale chronique stade 4, DFG entre 15 et 29 mL/min",
     [condition(["N18*"]), lab("62238-1", min=15, max=29, unit="mL/min")], ["stade 4"], "fr"),
    ("Patients hospitalisés pour pneumopathie, sans BPCO, leucocytes > 10 G/L",
     [visit("inpatient"), condition(["J18*"]), condition(["J44*"], "exclusion"), lab("6690-2", above=10, unit="G/L")], [], "fr"),
    ("Adults with heart failure and LVEF ≤ 35% on beta blockers",
     [age(min=18), condition(["I50*"]), lab("10230-1", max=35, unit="%"), drug(["C07*"])], [], "en"),
    # a threshold relative to the laboratory's normal range is not a value
    ("Exclusion criteria: active cancer, HIV infection, ALT > 3 ULN",
     [text("cancer", "exclusion"), text('"HIV infection"', "exclusion")], ["active", "ALT > 3 ULN"], "en"),
    ("Patients âgés de 60 à 85 ans, glycémie à jeun ≥ 1,26 g/L",
     [age(min=60, max=85), lab("1558-6", min=1.26, unit="g/L")], [], "fr"),
    # a postposed "exclues"; inclusion of women with a qualifier left over
    ("Patientes enceintes exclues ; femmes ménopausées de plus de 55 ans",
     [sex("F"), age(min=55)], ["enceintes", "ménopausées"], "fr"),
    ("Âge > 18 ans et < 65 ans, maladie de Crohn",
     [age(min=18), age(max=64), text('"maladie de Crohn"')], [], "fr"),
    ("Subjects aged 18 to 65 years with asthma, no systemic corticosteroids",
     [age(min=18, max=65), condition(["J45*"]), text('"systemic corticosteroids"', "exclusion")], [], "en"),
    # brand names (BDPM) through the lexicon; a duration is a window, not understood
    ("patients sous Eliquis ou Xarelto depuis moins de 3 mois",
     [drug(["B01AF02", "B01AF01"])], ["depuis moins de 3 mois"], "fr"),
    ("Enfants de moins de 12 ans, épilepsie, passage aux urgences",
     [age(max=11), condition(["G40*"]), visit("emergency")], [], "fr"),
    # a rare disease of Orphanet (no code of the warehouse's vocabularies): text
    ("Critères d'inclusion : patients atteints de mucoviscidose ; IMC < 18,5 kg/m²",
     [text("mucoviscidose"), lab("39156-5", below=18.5, unit="kg/m2")], [], "fr"),
    ("Patients without chronic kidney disease, total cholesterol ≥ 240 mg/dL",
     [condition(["N18*"], "exclusion"), lab("2093-3", min=240, unit="mg/dL")], [], "en"),
    # the clinsearch group of diabetes (a CIM-10 block); consent is no medical criterion
    ("Hypertension artérielle et dyslipidémie, sans diabète, consentement signé",
     [condition(["I10*"]), condition(["E78*"]), condition(DIABETES, "exclusion")], ["consentement signé"], "fr"),
    # "patients over 50" is an age; a score the table does not know
    ("Male patients over 50 with atrial fibrillation, CHA2DS2-VASc ≥ 2",
     [sex("M"), age(min=50), condition(["I48*"])], ["CHA2DS2-VASc ≥ 2"], "en"),
    # the group's own abbreviation (AVK = every vitamin K antagonist, not warfarin alone)
    ("TVP ou EP récente, sans traitement par AVK",
     [condition(["I80*", "I26*"]), drug(["B01AA*"], "exclusion")], ["récente"], "fr"),
    # an allergy to a drug is no prescription of it
    ("Critères d'exclusion : allergie à l'aspirine, hémoglobine < 10 g/dL, plaquettes < 100 G/L",
     [text("\"allergie à l'aspirine\"", "exclusion"), lab("718-7", "exclusion", below=10, unit="g/dL"), lab("777-3", "exclusion", below=100, unit="G/L")], [], "fr"),
    # a negation after words not understood is theirs; "non contrôlée" after a condition is reported
    ("Critères de non-inclusion :\n- IRC sévère (DFG < 30 mL/min/1,73 m²)\n- Consentement éclairé non signé\n- HTA non contrôlée",
     [condition(["N18*"], "exclusion"), lab("62238-1", "exclusion", below=30, unit="mL/min/1.73m2"), condition(["I10*"], "exclusion")],
     ["sévère", "Consentement éclairé non signé", "non contrôlée"], "fr"),
    # a wrong unit is not silently accepted; a comma-list negated up to its "ou"
    ("DT2 ; HbA1c > 8 mg/dL ; sans IDM, AVC ou FA",
     [condition(["E11*"]), condition(["I21*"], "exclusion"), condition(["I63*", "I64*"], "exclusion"), condition(["I48*"], "exclusion")],
     ["HbA1c > 8 mg/dL"], "fr"),
    # "type II" is type 2; an inclusion heading with a plain "non-" negation; a roman stage
    ("Inclusion : diabète de type II, non-fumeurs, insuffisance cardiaque NYHA III",
     [condition(["E11*"]), condition(["F17*"], "exclusion"), condition(["I50*"])], ["NYHA III"], "fr"),
    ("Age ≥ 18 years; diagnosis of atrial fibrillation; currently taking warfarin or apixaban",
     [age(min=18), condition(["I48*"]), drug(["B01AA03", "B01AF02"])], [], "en"),
    # a qualifier at the edge of a text criterion is reported, not searched
    ("Exclusion Criteria:\n- Severe hepatic impairment\n- Creatinine clearance < 30 mL/min\n- Known allergy to aspirin",
     [text('"hepatic impairment"', "exclusion"), lab("35591-7", "exclusion", below=30, unit="mL/min"), text('"allergy to aspirin"', "exclusion")], ["Severe"], "en"),
    ("Postmenopausal women aged 50 to 80 years with osteoporosis",
     [sex("F"), age(min=50, max=80), text("osteoporosis")], ["Postmenopausal"], "en"),
    ("Patients with hypertension and systolic blood pressure ≥ 160 mmHg",
     [condition(["I10*"]), lab("8480-6", min=160, unit="mmHg")], [], "en"),
    # "are excluded" after the words
    ("Individuals under 18 years of age are excluded",
     [age("exclusion", max=17)], [], "en"),
    ("No prior treatment with insulin; fasting plasma glucose ≥ 7.0 mmol/L",
     [drug(["A10A*"], "exclusion"), lab("1558-6", min=7, unit="mmol/L")], [], "en"),
    ("Hospitalized adults with community-acquired pneumonia, CRP > 100 mg/L",
     [visit("inpatient"), age(min=18), condition(["J18*"]), lab("1988-5", above=100, unit="mg/L")], ["community-acquired"], "en"),
    # the group's abbreviation of low-molecular-weight heparins; a range without unit takes the measurement's ({INR})
    ("Patients sous AVK au long cours, INR entre 2 et 3, sans HBPM",
     [drug(["B01AA*"]), lab("6301-6", min=2, max=3, unit="{INR}"), drug(["B01AB04", "B01AB05", "B01AB06", "B01AB10"], "exclusion")], ["au long cours"], "fr"),
    # -- written after the ones above and first run unseen (docs/cohorts.md gives how many came out right): the
    # postposed "non valvulaire", an age after a negated thing, years of a duration, "X or Y are excluded" ...
    ('Patients âgés de 65 ans et plus présentant une fibrillation auriculaire non valvulaire',
     [age(min=65), condition(['I48*'])], ['non valvulaire'], 'fr'),
    ('Sujets de sexe masculin, 45-70 ans, avec un IMC entre 25 et 35 kg/m²',
     [sex("M"), age(min=45, max=70), lab("39156-5", min=25, max=35, unit='kg/m2')], [], 'fr'),
    ("Exclusion : traitement anticoagulant en cours, thrombopénie < 100 G/L, ATCD d'hémorragie intracrânienne",
     [drug(['B01AA*', 'B01AB*', 'B01AE*', 'B01AF*', 'B01AX05'], "exclusion"), text('thrombopénie', "exclusion"), text('"hémorragie intracrânienne"', "exclusion")], ['< 100 G/L'], 'fr'),
    ('Inclusion Criteria: Age 18-80 years; Diagnosis of type 1 diabetes for at least 1 year; HbA1c ≤ 9%',
     [age(min=18, max=80), condition(['E10*']), lab("4548-4", max=9, unit='%')], ['at least 1 year'], 'en'),
    ('Exclusion Criteria: eGFR < 45; use of SGLT2 inhibitors; history of diabetic ketoacidosis',
     [lab("62238-1", "exclusion", below=45, unit='mL/min/1.73m2'), text('"diabetic ketoacidosis"', "exclusion")], ['SGLT2 inhibitors'], 'en'),
    ('Adult patients hospitalised with acute heart failure, NT-proBNP ≥ 1000 pg/mL',
     [age(min=18), visit("inpatient"), condition(['I50*']), lab("33762-6", min=1000, unit='pg/mL')], ['acute'], 'en'),
    ('Patients BPCO non fumeurs de plus de 40 ans',
     [condition(['J44*']), condition(['F17*'], "exclusion"), age(min=40)], [], 'fr'),
    ('Femmes enceintes, insuffisance rénale aiguë, kaliémie > 5,5 mmol/L',
     [sex("F"), condition(['N17*']), lab("2823-3", above=5.5, unit='mmol/L')], ['enceintes'], 'fr'),
    ('Patients traités par clopidogrel ou aspirine après un SCA',
     [drug(['B01AC04', 'B01AC06']), condition(['I24*'])], ['après'], 'fr'),
    ('Critères de non inclusion : cancer évolutif, démence, espérance de vie inférieure à 1 an',
     [text('cancer', "exclusion"), condition(['F03*'], "exclusion")], ['évolutif', 'espérance de vie inférieure à 1 an'], 'fr'),
    ('Men and women ≥ 50 years with hypercholesterolemia (LDL-C ≥ 160 mg/dL) not receiving statin therapy',
     [age(min=50), condition(['E78*']), lab("13457-7", min=160, unit='mg/dL'), drug(['C10AA*'], "exclusion")], [], 'en'),
    ("Patients sans antécédent de TVP ni d'EP, âgés de 18 à 60 ans",
     [condition(['I80*'], "exclusion"), condition(['I26*'], "exclusion"), age(min=18, max=60)], [], 'fr'),
    ('Hémoglobine glyquée supérieure à 7,5 %, DT2 sous metformine',
     [lab("4548-4", above=7.5, unit='%'), condition(['E11*']), drug(['A10BA02'])], [], 'fr'),
    ('Subjects with a history of asthma or COPD are excluded',
     [condition(['J45*'], "exclusion"), condition(['J44*'], "exclusion")], [], 'en'),
    ('Patients hypertendus avec créatininémie < 1,5 mg/dL',
     [lab("2160-0", below=1.5, unit='mg/dL')], ['hypertendus'], 'fr'),
    # -- a second round written and run unseen, after the first round's phenomena were fixed
    ('Patients de plus de 75 ans hospitalisés aux urgences pour chute',
     [age(min=75), visit("inpatient"), visit("emergency"), text('chute')], [], 'fr'),
    ('Adults (≥ 18 years) with newly diagnosed epilepsy, no prior antiepileptic drug',
     [age(min=18), condition(['G40*'])], ['newly', 'antiepileptic drug'], 'en'),
    ('Diabète de type 1 depuis plus de 5 ans, HbA1c < 7 %, sans rétinopathie',
     [condition(['E10*']), lab("4548-4", below=7, unit='%'), text('rétinopathie', "exclusion")], ['depuis plus de 5 ans'], 'fr'),
    ('Exclusion criteria: BMI > 40 kg/m2; systolic BP > 180 mmHg; active smoking',
     [lab("39156-5", "exclusion", above=40, unit='kg/m2'), lab("8480-6", "exclusion", above=180, unit='mmHg'), condition(['F17*'], "exclusion")], ['active'], 'en'),
    ('Femme ou homme âgé(e) de 30 à 65 ans, non diabétique, LDL > 4,9 mmol/L',
     [age(min=30, max=65), condition(['E10*', 'E11*', 'E12*', 'E13*', 'E14*'], "exclusion"), lab("13457-7", above=4.9, unit='mmol/L')], [], 'fr'),
    ('Patients traités par héparine de bas poids moléculaire ou AOD pour une MTEV',
     [drug(['B01AB04', 'B01AB05', 'B01AB06', 'B01AB10', 'B01AE07', 'B01AF*']), condition(['I82*'])], [], 'fr'),
    ('Critères de non-inclusion : insuffisance cardiaque (FEVG ≤ 35 %), IDM de moins de 3 mois',
     [condition(['I50*'], "exclusion"), lab("10230-1", "exclusion", max=35, unit='%'), condition(['I21*'], "exclusion")], ['de moins de 3 mois'], 'fr'),
    ('Women aged 40 years or older with breast cancer, not pregnant',
     [sex("F"), age(min=40), condition(['C50*'])], ['pregnant'], 'en'),
    ('Patients avec une glycémie > 2 g/L et une créatinine < 120 µmol/L',
     [lab("2345-7", above=2, unit='g/L'), lab("2160-0", below=120, unit='µmol/L')], [], 'fr'),
    ("Antécédent d'AVC ischémique, FA, traitement par warfarine, âge ≥ 80 ans",
     [condition(['I63*', 'I64*']), condition(['I48*']), drug(['B01AA03']), age(min=80)], ['ischémique'], 'fr'),
    ('Children under 12 with asthma treated with inhaled corticosteroids',
     [age(max=11), condition(['J45*'])], ['inhaled corticosteroids'], 'en'),
    ('Sans hypertension artérielle pulmonaire ni embolie pulmonaire, hommes et femmes de 18 à 90 ans',
     [condition(['I270*'], "exclusion"), condition(['I26*'], "exclusion"), age(min=18, max=90)], [], 'fr'),
    # -- a third round written and run unseen: an exclusion word before what it excludes, a
    # negation after words not understood, "ceux"/"those" standing for the patients
    ("Adults aged 50-80 with atrial fibrillation on warfarin; exclude prior stroke",
     [age(min=50, max=80), condition(['I48*']), drug(['B01AA03']), condition(['I63*', 'I64*'], "exclusion")], [], 'en'),
    ("Tous les patients hypertendus sans warfarine",
     [drug(['B01AA03'], "exclusion")], ['hypertendus'], 'fr'),
    ("patients obèses non diabétiques",
     [condition(['E10*', 'E11*', 'E12*', 'E13*', 'E14*'], "exclusion")], ['obèses'], 'fr'),
    ("Adultes diabétiques, à l'exclusion des patients dialysés",
     [age(min=18), condition(['E10*', 'E11*', 'E12*', 'E13*', 'E14*']), text('dialysés', "exclusion")], [], 'fr'),
    ("Patients avec diabète de type 2, à l'exception des patients sous insuline",
     [condition(['E11*']), drug(['A10A*'], "exclusion")], [], 'fr'),
    ("Adults with asthma except those on omalizumab",
     [age(min=18), condition(['J45*']), drug(['R03DX05'], "exclusion")], [], 'en'),
    ("Adults with heart failure, excluding pregnancy",
     [age(min=18), condition(['I50*']), text('pregnancy', "exclusion")], [], 'en'),
    ("Femmes de 18 à 45 ans sous metformine, créatininémie < 150 µmol/L",
     [sex("F"), age(min=18, max=45), drug(['A10BA02']), lab("2160-0", below=150, unit='µmol/L')], [], 'fr'),
    ("Patients hospitalisés hors réanimation",
     [visit("inpatient")], ['hors réanimation'], 'fr'),
    # an exclusion word under the exclusion heading is no double negation; an exception to an
    # exclusion ("X and not Y") is reported, never turned into an inclusion of Y
    ("Exclusion criteria: exclude patients with stroke",
     [condition(['I63*', 'I64*'], "exclusion")], [], 'en'),
    ("Critères de non-inclusion : patients sous anticoagulants à l'exception des AOD",
     [drug(['B01AA*', 'B01AB*', 'B01AE*', 'B01AF*', 'B01AX05'], "exclusion")], ["à l'exception des AOD"], 'fr'),
]


@pytest.mark.parametrize("written, expected, missed, language", CASES, ids=[c[0][:40] for c in CASES])
def test_criteria_in_words_give_their_definition(written, expected, missed, language):
    made = draft(written)
    got = [(c["where"], {k: v for k, v in c["criterion"].items() if k != "name"}) for c in made["criteria"] if c["criterion"] is not None]
    assert got == expected
    assert made["not_understood"] == missed
    assert made["language"] == language
    parsed = read(made["definition"])
    assert [c.spec for c in parsed.inclusion] == [c for w, c in _named(made) if w == "inclusion"]
    assert len(parsed.exclusion) == sum(w == "exclusion" for w, _ in expected)
    for entry in made["criteria"]:
        assert entry["understood"] is True and entry["explanation"]
        assert all(part in written for part in entry["text"].replace(" ou ", " / ").replace(" or ", " / ").split(" / "))
    assert _lost(written, made) == []


def _named(made: dict) -> list[tuple[str, dict]]:
    return [(c["where"], c["criterion"]) for c in made["criteria"] if c["criterion"] is not None]


def _lost(written: str, made: dict) -> list[str]:
    """The words of the text, no grammar word, in no criterion's text nor in the not understood."""
    kept = {w for piece in [c["text"] for c in made["criteria"]] + made["not_understood"] for w in name_key(piece).split()}
    lost = []
    for start, end, _ in sections(written):
        for a, b in clauses(written, start, end):
            toks = tokens(written, a, b)
            for i, r in roles(toks).items():
                if role(r)[0] in ("content", "qualifier") and any(w not in kept for w in name_key(toks[i].text).split()):
                    lost.append(toks[i].text)
    return lost


def test_enough_sentences_of_both_languages():
    assert len(CASES) >= 30
    assert sum(c[3] == "fr" for c in CASES) >= 15 and sum(c[3] == "en" for c in CASES) >= 10


def test_the_explanations_follow_the_language_asked():
    french = draft("Adults with type 2 diabetes, without CKD", lang="fr")
    english = draft("Adults with type 2 diabetes, without CKD")
    assert english["language"] == "en" and french["language"] == "fr"
    assert [c["criterion"]["type"] for c in french["criteria"]] == [c["criterion"]["type"] for c in english["criteria"]] == ["demographics", "condition", "condition"]
    assert french["criteria"][1]["criterion"]["name"] == "diabète de type 2" and english["criteria"][1]["criterion"]["name"] == "type 2 diabetes"
    assert "exclusion (« without »)" in french["criteria"][-1]["explanation"]
    assert english["criteria"][-1]["explanation"].endswith("exclusion (“without”)")
    assert french["criteria"][0]["label"] == "âge ≥ 18" and english["criteria"][0]["label"] == "age ≥ 18"
    assert french["definition"]["name"].startswith("Brouillon : Adults") and english["definition"]["name"].startswith("Draft: Adults")


def test_what_is_said_of_each_reading():
    made = draft("HbA1c > 8, DFG < 30, sans AVK, insufisance cardiaque, hommes et femmes")
    by_text = {c["text"]: c for c in made["criteria"]}
    assert by_text["HbA1c > 8"]["criterion"]["unit"] == "%" and "unité non écrite : % supposée" in by_text["HbA1c > 8"]["explanation"]
    assert by_text["DFG < 30"]["criterion"]["unit"] == "mL/min/1.73m2"
    assert "« insufisance » lu « insuffisance »" in by_text["insufisance cardiaque"]["explanation"]
    assert by_text["hommes"]["criterion"] is None and by_text["femmes"]["criterion"] is None  # both sexes: no criterion
    assert "sexe" not in str(made["definition"])
    assert by_text["AVK"]["where"] == "exclusion" and "« sans »" in by_text["AVK"]["explanation"]


def test_an_exception_to_an_exclusion_is_said_with_what_to_do():
    for written, lang in (("Exclusion: patients sous anticoagulants sauf AOD", "fr"), ("Exclusion criteria: anticoagulants except DOACs", "en")):
        made = draft(written, lang)
        assert all(c["where"] == "exclusion" for c in made["criteria"]), made["criteria"]
        assert made["not_understood"] and made["not_understood"][0].split()[0] in ("sauf", "except")
        assert any(made["not_understood"][0] in w and ("constructeur" in w or "cohort builder" in w) for w in made["warnings"]), made["warnings"]


def test_a_negation_under_the_exclusion_heading_is_an_inclusion():
    made = draft("Critères d'exclusion :\n- absence de contraception\n- grossesse")
    assert [(c["where"], c["criterion"]["query"]) for c in made["criteria"]] == [("inclusion", "contraception"), ("exclusion", "grossesse")]
    assert "négation sous la rubrique des exclusions" in made["criteria"][0]["explanation"]


def test_an_alternative_of_different_kinds_is_said_not_hidden():
    made = draft("diabète de type 2 ou HbA1c ≥ 6,5 %")
    assert [c["criterion"]["type"] for c in made["criteria"]] == ["condition", "measurement"]
    assert "la définition exige les deux" in made["criteria"][1]["explanation"]


def test_nothing_at_all_understood_is_all_reported():
    made = draft("Affiliation à un régime de sécurité sociale. Capacité à comprendre le protocole.")
    assert made["criteria"] == [] and made["definition"]["inclusion"] == [] == made["definition"]["exclusion"]
    assert made["not_understood"] == ["Affiliation à un régime de sécurité sociale", "Capacité à comprendre le protocole"]
    read(made["definition"])
