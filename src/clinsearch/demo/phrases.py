"""What the synthetic hospital knows and how its notes are written: plain data, no logic.

Conditions carry their CIM-10 code and the ways French notes name them (full term, synonyms,
abbreviations), each with its article so that sentences agree ("une EP", "un IDM"). Phrase
templates are the turns of phrase real French notes use for each context; ``{x}`` is the
condition with its article ("une embolie pulmonaire"), ``{de_x}`` with "de"/"d'" ("d'embolie
pulmonaire"), ``{X}`` the bare term.

The codes are real CIM-10 (ATIH), ATC (WHO), LOINC and CCAM codes; the patients are not real.
"""

# key: (CIM-10 code, label, [(article, variant), ...], department, [ATC drugs], [CCAM procedure])
CONDITIONS = {
    "diabete_t2": ("E11.9", "Diabète de type 2", [("un", "diabète de type 2"), ("un", "DT2"), ("un", "diabète non insulinodépendant")], "Endocrinologie-Diabétologie", ["metformine", "gliclazide"], None),
    "diabete_t1": ("E10.9", "Diabète de type 1", [("un", "diabète de type 1"), ("un", "DT1"), ("un", "diabète insulinodépendant")], "Endocrinologie-Diabétologie", ["insuline_glargine"], None),
    "hta": ("I10", "Hypertension artérielle essentielle", [("une", "hypertension artérielle"), ("une", "HTA")], "Cardiologie", ["amlodipine", "ramipril"], None),
    "idm": ("I21.9", "Infarctus aigu du myocarde", [("un", "infarctus du myocarde"), ("un", "IDM"), ("un", "syndrome coronarien aigu ST+")], "Cardiologie", ["aspirine", "atorvastatine", "bisoprolol"], ("DDAF008", "Dilatation intraluminale d'une artère coronaire avec pose d'endoprothèse")),
    "ep": ("I26.9", "Embolie pulmonaire", [("une", "embolie pulmonaire"), ("une", "EP")], "Pneumologie", ["apixaban", "enoxaparine"], None),
    "tvp": ("I80.2", "Thrombose veineuse profonde", [("une", "thrombose veineuse profonde"), ("une", "TVP"), ("une", "phlébite")], "Médecine interne", ["rivaroxaban"], None),
    "avc": ("I63.9", "Infarctus cérébral", [("un", "accident vasculaire cérébral"), ("un", "AVC"), ("un", "infarctus cérébral")], "Neurologie", ["clopidogrel", "atorvastatine"], None),
    "ait": ("G45.9", "Accident ischémique transitoire", [("un", "accident ischémique transitoire"), ("un", "AIT")], "Neurologie", ["aspirine"], None),
    "bpco": ("J44.9", "Bronchopneumopathie chronique obstructive", [("une", "bronchopneumopathie chronique obstructive"), ("une", "BPCO")], "Pneumologie", ["tiotropium"], None),
    "fa": ("I48.9", "Fibrillation atriale", [("une", "fibrillation atriale"), ("une", "FA"), ("une", "ACFA")], "Cardiologie", ["apixaban", "bisoprolol"], None),
    "icc": ("I50.9", "Insuffisance cardiaque", [("une", "insuffisance cardiaque"), ("une", "ICC"), ("une", "IC"), ("une", "insuffisance cardiaque congestive")], "Cardiologie", ["furosemide", "bisoprolol"], None),
    "irc": ("N18.9", "Maladie rénale chronique", [("une", "insuffisance rénale chronique"), ("une", "IRC"), ("une", "maladie rénale chronique")], "Néphrologie", ["furosemide"], None),
    "pneumopathie": ("J18.9", "Pneumopathie", [("une", "pneumopathie"), ("une", "pneumonie")], "Pneumologie", ["amoxicilline"], None),
    "cancer_poumon": ("C34.9", "Tumeur maligne des bronches et du poumon", [("un", "cancer du poumon"), ("un", "carcinome bronchique"), ("un", "adénocarcinome pulmonaire")], "Pneumologie", [], ("GFFA004", "Lobectomie pulmonaire, par thoracotomie")),
    "appendicite": ("K35.8", "Appendicite aiguë", [("une", "appendicite aiguë"), ("une", "appendicite")], "Chirurgie viscérale", ["amoxicilline"], ("HHFA016", "Appendicectomie, par cœlioscopie")),
    "cholecystite": ("K81.0", "Cholécystite aiguë", [("une", "cholécystite aiguë"), ("une", "cholécystite")], "Chirurgie viscérale", ["amoxicilline"], ("HMFC004", "Cholécystectomie, par cœlioscopie")),
}

# How often a condition is present, by age band (< 50, 50-69, >= 70).
PREVALENCE = {
    "diabete_t2": (0.06, 0.16, 0.22), "diabete_t1": (0.04, 0.02, 0.015), "hta": (0.12, 0.40, 0.60),
    "idm": (0.02, 0.08, 0.12), "ep": (0.04, 0.07, 0.09), "tvp": (0.03, 0.06, 0.08), "avc": (0.01, 0.05, 0.10),
    "ait": (0.01, 0.03, 0.05), "bpco": (0.03, 0.10, 0.14), "fa": (0.01, 0.08, 0.20), "icc": (0.01, 0.06, 0.16),
    "irc": (0.02, 0.08, 0.18), "pneumopathie": (0.06, 0.08, 0.14), "cancer_poumon": (0.005, 0.03, 0.04),
    "appendicite": (0.08, 0.02, 0.01), "cholecystite": (0.03, 0.05, 0.05),
}

# name: (ATC code, how notes write it)
DRUGS = {
    "metformine": ("A10BA02", "Metformine 1000 mg matin et soir"),
    "gliclazide": ("A10BB09", "Gliclazide (Diamicron) 60 mg le matin"),
    "insuline_glargine": ("A10AE04", "Insuline glargine (Lantus) 24 UI le soir"),
    "amlodipine": ("C08CA01", "Amlodipine 5 mg/j"),
    "ramipril": ("C09AA05", "Ramipril 5 mg 1 cp/j"),
    "aspirine": ("B01AC06", "Aspirine (Kardégic) 75 mg/j"),
    "atorvastatine": ("C10AA05", "Atorvastatine 40 mg le soir"),
    "bisoprolol": ("C07AB07", "Bisoprolol 2,5 mg/j"),
    "apixaban": ("B01AF02", "Apixaban (Eliquis) 5 mg x2/j"),
    "enoxaparine": ("B01AB05", "Enoxaparine (Lovenox) 6000 UI/0,6 mL x2/j en sous-cutané"),
    "rivaroxaban": ("B01AF01", "Rivaroxaban (Xarelto) 20 mg/j"),
    "clopidogrel": ("B01AC04", "Clopidogrel 75 mg/j"),
    "tiotropium": ("R03BB04", "Tiotropium (Spiriva) 18 µg 1 inhalation/j"),
    "furosemide": ("C03CA01", "Furosémide (Lasilix) 40 mg le matin"),
    "amoxicilline": ("J01CA04", "Amoxicilline 1 g x3/j pendant 7 jours"),
    "paracetamol": ("N02BE01", "Paracétamol 1 g x4/j si douleur"),
}

# LOINC code: (label written in notes, unit)
LABS = {
    "8480-6": ("PAS", "mmHg"),
    "8462-4": ("PAD", "mmHg"),
    "2093-3": ("Cholestérol total", "mmol/L"),
    "2085-9": ("HDL-cholestérol", "mmol/L"),
    "4548-4": ("HbA1c", "%"),
    "2160-0": ("Créatinine", "µmol/L"),
    "2345-7": ("Glycémie à jeun", "mmol/L"),
    "39156-5": ("IMC", "kg/m2"),
}
SMOKING_LOINC = "72166-2"
SMOKING = {"current": "Fumeur actif", "former": "Ancien fumeur", "never": "Non-fumeur"}

DEPARTMENTS = [
    "Cardiologie", "Pneumologie", "Endocrinologie-Diabétologie", "Neurologie", "Néphrologie",
    "Chirurgie viscérale", "Médecine interne", "Urgences", "Radiologie",
]

# note type: (title, visit kind)
NOTE_TYPES = {
    "CRH": ("Compte rendu d'hospitalisation", "inpatient"),
    "CRO": ("Compte rendu opératoire", "inpatient"),
    "CRI": ("Compte rendu d'imagerie", "outpatient"),
    "CONS": ("Compte rendu de consultation", "outpatient"),
    "URG": ("Compte rendu de passage aux urgences", "emergency"),
}
NOTE_TYPE_WEIGHTS = {"CRH": 0.3, "CONS": 0.3, "URG": 0.15, "CRI": 0.15, "CRO": 0.1}

# Prose, one sentence a mention. Some are harder than they look: a suspicion confirmed is
# affirmed, one ruled out is negated, a diagnosis evoked by someone else is a hypothesis, a
# spouse or a neighbour is someone else (status "family": not the patient).
AFFIRMED = [
    "Diagnostic retenu : {X}.",
    "Le bilan confirme {x}.",
    "Patient présentant {x}, pris en charge dans le service.",
    "On retient le diagnostic {de_x}.",
    "{X} confirmé{e} au décours du bilan.",
    "Au total, {x} est diagnostiqué{e} et traité{e}.",
    "Suspicion {de_x} confirmée par le bilan.",
    "Découverte {de_x} au cours du séjour.",
]
HISTORY = [
    "Antécédent {de_x} en {year}.",
    "ATCD : {X} ({year}).",
    "Suivi au long cours pour {x} connue depuis {year}.",
]
NEGATED = [
    "Pas {de_x}.",
    "Absence {de_x}.",
    "Le patient ne présente pas {de_x}.",
    "Aucun argument pour {x}.",
    "Pas de signe {de_x} à l'examen.",
    "Sans {X} retrouvé{e} au bilan.",
    "{X} non retrouvé{e}.",
    "{X} évoqué{e}, finalement écarté{e} par le bilan.",
    "Le bilan n'a pas mis en évidence {de_x}.",
]
HYPOTHETICAL = [
    "Suspicion {de_x}.",
    "{X} à éliminer.",
    "Bilan à la recherche {de_x}.",
    "Hypothèse {de_x} à confirmer.",
    "Possible {X}, à explorer.",
    "Le médecin traitant évoque {x}.",
    "Dépistage {de_x} prévu.",
    "{X} ne peut être exclu{e}.",
]
FAMILY = [
    "Antécédents familiaux : {X} chez la mère.",
    "Père suivi pour {x}.",
    "Frère ayant présenté {x} à 50 ans.",
    "Antécédent familial {de_x} (mère).",
    "Son épouse est suivie pour {x}.",
    "Sa voisine a présenté {x} le mois dernier.",
    "Un collègue de travail a eu {x}.",
]

# Telegraphic notes: a mention is an item of a list ("ATCD : HTA (2015), DT2", "Conclusion :
# EP (+), TVP (-), FA ?"), each with its own polarity.
TELEGRAPHIC = {
    "affirmed": ["{X}", "{X} (+)", "{X} confirmé{e}"],
    "history": ["{X} ({year})", "{X} en {year}", "ATCD {de_x}"],
    "negated": ["{X} (-)", "{X} : non", "Ø {X}", "{X} nég.", "pas {de_x}", "{X} : Ø"],
    "hypothetical": ["{X} ?", "{X} à éliminer", "susp. {X}", "{X} à confirmer"],
    "family": ["{X} chez la mère", "{X} chez le père", "{X} chez le frère"],
}
TELEGRAPHIC_SHARE = 0.35  # of the notes written that way

# Sentences where a condition's words or abbreviations stand for something else (no mention):
# a confidence interval and a cardiac index (IC), a pleural effusion (EP), a chronic respiratory
# failure (IRC), pulmonary and portal hypertension, diabetes insipidus, an antibody (AC).
DISTRACTORS = [
    "Score de GRACE à 132 (mortalité à 6 mois de 4 %, IC 95 % 3-6 %).",
    "Cathétérisme droit : IC 3,1 L/min/m², pressions pulmonaires normales.",
    "Radiographie de thorax : petit EP droit de faible abondance, non ponctionnable.",
    "IRC sous O2 au long cours, 2 L/min.",
    "Hypertension artérielle pulmonaire suivie en centre de référence.",
    "Hypertension portale sur hépatopathie, varices œsophagiennes de grade 1.",
    "Diabète insipide central substitué par desmopressine.",
    "Bilan immunologique : AC anti-TPO positifs.",
]
DISTRACTOR_SHARE = 0.3  # of the notes that hold one

FIRST_NAMES = {
    "M": ["Jean", "Pierre", "Michel", "André", "Philippe", "Alain", "Bernard", "Jacques", "Daniel", "Patrick", "Nicolas", "Thomas", "Julien", "Karim", "Mohamed", "Lucas", "Hugo", "Antoine"],
    "F": ["Marie", "Nathalie", "Isabelle", "Sylvie", "Catherine", "Françoise", "Monique", "Christine", "Sophie", "Julie", "Camille", "Fatima", "Léa", "Chloé", "Emma", "Hélène", "Martine", "Anne"],
}
LAST_NAMES = [
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau", "Simon", "Laurent",
    "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier", "Morel", "Girard", "André", "Lefèvre",
    "Mercier", "Dupont", "Lambert", "Bonnet", "François", "Martinez", "Legrand", "Garnier", "Faure", "Rousseau", "Blanc", "Guérin",
]
CITIES = [("Paris", "75013"), ("Rouen", "76000"), ("Lyon", "69003"), ("Créteil", "94000"), ("Bobigny", "93000"), ("Évreux", "27000")]
STREETS = ["rue de la République", "avenue Jean Jaurès", "boulevard Victor Hugo", "rue Pasteur", "rue des Lilas", "place de la Mairie"]
DOCTORS = ["Dr Lemoine", "Dr Caron", "Dr Benali", "Dr Nguyen", "Dr Perrin", "Dr Fontaine", "Pr Marchand", "Dr Rolland"]

# Imaging: (modality, body part, study description, finding condition)
IMAGING = [
    ("CT", "CHEST", "Angioscanner thoracique", "ep"),
    ("CT", "CHEST", "Scanner thoracique", "cancer_poumon"),
    ("MR", "HEAD", "IRM cérébrale", "avc"),
    ("CR", "CHEST", "Radiographie thoracique de face", "pneumopathie"),
    ("US", "ABDOMEN", "Échographie abdominale", "cholecystite"),
    ("US", "LEG", "Écho-doppler veineux des membres inférieurs", "tvp"),
]

# Articles of the demo library: (title, abstract, MeSH terms)
ARTICLES = [
    ("Diagnostic accuracy of CT pulmonary angiography for suspected pulmonary embolism", "Pulmonary embolism remains a diagnostic challenge. We assessed CT pulmonary angiography in patients with suspected pulmonary embolism and a positive D-dimer test.", ["Pulmonary Embolism", "Computed Tomography Angiography", "Fibrin Fibrinogen Degradation Products"]),
    ("Apixaban versus enoxaparin for the treatment of venous thromboembolism", "Direct oral anticoagulants such as apixaban are an alternative to low-molecular-weight heparin for deep vein thrombosis and pulmonary embolism.", ["Venous Thromboembolism", "Anticoagulants", "Pulmonary Embolism", "Venous Thrombosis"]),
    ("Metformin and cardiovascular outcomes in type 2 diabetes", "Metformin is first-line therapy in type 2 diabetes. We reviewed its effect on myocardial infarction and stroke.", ["Diabetes Mellitus, Type 2", "Metformin", "Cardiovascular Diseases"]),
    ("SCORE2 risk prediction algorithms: new models to estimate 10-year risk of cardiovascular disease in Europe", "SCORE2 estimates the 10-year risk of fatal and non-fatal cardiovascular disease in apparently healthy people aged 40 to 69 years in four European risk regions.", ["Cardiovascular Diseases", "Risk Assessment", "Europe"]),
    ("Atrial fibrillation and stroke prevention in the elderly", "Oral anticoagulation reduces stroke in atrial fibrillation; the CHA2DS2-VASc score guides treatment.", ["Atrial Fibrillation", "Stroke", "Anticoagulants", "Aged"]),
    ("Chronic obstructive pulmonary disease exacerbations and hospital readmission", "COPD exacerbations lead to frequent readmissions. Inhaled long-acting bronchodilators such as tiotropium reduce exacerbations.", ["Pulmonary Disease, Chronic Obstructive", "Patient Readmission", "Tiotropium Bromide"]),
    ("Negation detection in French clinical narratives", "Clinical text mining must detect negated and hypothetical mentions. We evaluated rule-based negation detection on French hospital notes.", ["Natural Language Processing", "Electronic Health Records", "France"]),
    ("Heart failure with reduced ejection fraction: diuretics and beta-blockers", "Loop diuretics relieve congestion and beta-blockers reduce mortality in heart failure.", ["Heart Failure", "Diuretics", "Adrenergic beta-Antagonists"]),
    ("Estimated glomerular filtration rate: the CKD-EPI 2021 race-free equation", "The 2021 CKD-EPI creatinine equation estimates GFR without a race coefficient in chronic kidney disease.", ["Glomerular Filtration Rate", "Renal Insufficiency, Chronic", "Creatinine"]),
    ("Laparoscopic appendectomy versus antibiotics for acute appendicitis", "Antibiotics may treat uncomplicated appendicitis; laparoscopic appendectomy remains the reference.", ["Appendicitis", "Appendectomy", "Laparoscopy", "Anti-Bacterial Agents"]),
    ("Clinical data warehouses in French university hospitals", "Health data warehouses gather electronic health records for research; governance and pseudonymisation are required by the CNIL.", ["Data Warehousing", "Electronic Health Records", "Confidentiality"]),
    ("Lung adenocarcinoma screening with low-dose CT in smokers", "Low-dose CT screening reduces lung cancer mortality in current and former smokers.", ["Lung Neoplasms", "Adenocarcinoma of Lung", "Early Detection of Cancer", "Smoking"]),
]
