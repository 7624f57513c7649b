"""Writing one synthetic French clinical note, and remembering what it says.

``NoteWriter`` appends text piece by piece and records, for each condition mentioned, where the
mention is and in which context (affirmed, history, negated, hypothetical, family), and where
each direct identifier (name, birth date, IPP, phone, doctor) was written: the ground truth that
NLP, search and pseudonymisation are tested against.
"""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
from dataclasses import dataclass, field

from clinsearch.demo import phrases

VOWELS = tuple("aeiouyhéèêàâîôAEIOUYHÉÈÊ")
TEMPLATES = {
    "affirmed": phrases.AFFIRMED,
    "history": phrases.HISTORY,
    "negated": phrases.NEGATED,
    "hypothetical": phrases.HYPOTHETICAL,
    "family": phrases.FAMILY,
}


@dataclass
class Mention:
    condition: str
    status: str  # affirmed | history | negated | hypothetical | family
    text: str
    start: int
    end: int


UNACCENTED = 0.1  # of the mentions written without their accents ("diabete", "embolie pulmonaire")


@dataclass
class NoteWriter:
    parts: list[str] = field(default_factory=list)
    length: int = 0
    mentions: list[Mention] = field(default_factory=list)
    identifiers: list[dict] = field(default_factory=list)
    style: str = "prose"  # or "telegraphic": mentions as items of lists (phrases.TELEGRAPHIC)

    def write(self, text: str) -> int:
        """Append ``text``; return where it starts."""
        start = self.length
        self.parts.append(text)
        self.length += len(text)
        return start

    def line(self, text: str = "") -> None:
        self.write(text + "\n")

    def identifier(self, kind: str, value: str) -> None:
        start = self.write(value)
        self.identifiers.append({"kind": kind, "text": value, "start": start, "end": start + len(value)})

    def mention(self, rng: random.Random, condition: str, status: str, year: int | None = None, end: str = " ") -> None:
        """Write one sentence (an item in a telegraphic note) saying ``condition`` in context ``status``, then ``end``."""
        article, variant = rng.choice(phrases.CONDITIONS[condition][2])
        if rng.random() < UNACCENTED:
            variant = unaccented(variant)
        template = rng.choice(phrases.TELEGRAPHIC[status] if self.style == "telegraphic" else TEMPLATES[status])
        feminine = article == "une"
        values = {
            "x": f"{article} {variant}",
            "de_x": ("d'" if variant.startswith(VOWELS) else "de ") + variant,
            "X": variant,
            "e": "e" if feminine else "",
            "year": str(year or rng.randint(2005, 2020)),
        }
        # Split the template around the one placeholder that names the condition.
        for key in ("de_x", "x", "X"):
            token = "{" + key + "}"
            if token in template:
                before, after = template.split(token, 1)
                break
        before = before.format(**values)
        after = after.format(**values)
        named = values[key]
        if not before:
            named = named[0].upper() + named[1:]
        start = self.write(before)
        named_start = start + len(before) + (len(named) - len(variant))
        self.write(named + after + (end[1:] if after.endswith(".") and end.startswith(".") else end))
        self.mentions.append(Mention(condition, status, named[-len(variant):], named_start, named_start + len(variant)))

    def text(self) -> str:
        return "".join(self.parts)


def unaccented(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def fr_date(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def header(w: NoteWriter, patient: dict, note_type: str, department: str, day: dt.date, rng: random.Random) -> None:
    title = phrases.NOTE_TYPES[note_type][0]
    w.line(f"CENTRE HOSPITALIER UNIVERSITAIRE - Service de {department}")
    w.line(title.upper())
    w.write("Patient : " + ("M. " if patient["sex"] == "M" else "Mme "))
    w.identifier("name", f"{patient['family_name'].upper()} {patient['given_name']}")
    w.write(", né" + ("" if patient["sex"] == "M" else "e") + " le ")
    w.identifier("birth_date", fr_date(patient["birth_date"]))
    w.write(" - IPP ")
    w.identifier("ipp", patient["ipp"])
    w.line()
    if rng.random() < 0.3:
        w.write("Téléphone : ")
        w.identifier("phone", patient["phone"])
        w.line()
    w.line(f"Date : {fr_date(day)}")
    w.line()


def signature(w: NoteWriter, rng: random.Random) -> None:
    w.line()
    title, name = rng.choice(phrases.DOCTORS).split(" ", 1)
    w.write(title + " ")
    w.identifier("doctor", name)
    w.line()


def vitals(w: NoteWriter, values: dict) -> None:
    if "8480-6" in values:
        w.line(f"TA {values['8480-6']:.0f}/{values['8462-4']:.0f} mmHg, FC {values['heart_rate']:.0f}/min, SpO2 {values['spo2']:.0f} % en air ambiant.")


def labs(w: NoteWriter, values: dict) -> None:
    parts = []
    for code in ("2160-0", "2093-3", "2085-9", "2345-7", "4548-4"):
        if code in values:
            label, unit = phrases.LABS[code]
            number = f"{values[code]:.1f}" if unit != "µmol/L" else f"{values[code]:.0f}"
            parts.append(f"{label} {number.replace('.', ',')} {unit}")
    if parts:
        w.line("Biologie : " + ", ".join(parts) + ".")


def findings(w: NoteWriter, rng: random.Random, heading: str, mentions: list[tuple[str, str]], empty: str = "") -> None:
    """A line ``heading : `` with each mention written (``empty`` when there is none): a
    sentence each, or in a telegraphic note a list ("EP (+), TVP (-), FA ?")."""
    w.write(f"{heading} : ")
    for i, (condition, status) in enumerate(mentions):
        if w.style == "telegraphic":
            w.mention(rng, condition, status, end="." if i == len(mentions) - 1 else ", ")
        else:
            w.mention(rng, condition, status)
    if not mentions and empty:
        w.write(empty)
    w.line()


def distractor(w: NoteWriter, rng: random.Random) -> None:
    """Now and then a line whose abbreviations or words look like a condition and are not one."""
    if rng.random() < phrases.DISTRACTOR_SHARE:
        w.line(rng.choice(phrases.DISTRACTORS))


def treatment(w: NoteWriter, drugs: list[str]) -> None:
    if drugs:
        w.line("Traitement :")
        for drug in drugs:
            w.line(f"- {phrases.DRUGS[drug][1]}")


def compose(rng: random.Random, patient: dict, note_type: str, department: str, day: dt.date,
            true_mentions: list[tuple[str, str]], traps: list[tuple[str, str]], values: dict, drugs: list[str],
            procedure: tuple[str, str] | None) -> NoteWriter:
    """The note's text, in the layout of its type, with the given mentions."""
    w = NoteWriter(style="telegraphic" if rng.random() < phrases.TELEGRAPHIC_SHARE else "prose")
    header(w, patient, note_type, department, day, rng)
    history = [m for m in true_mentions if m[1] == "history"] + [m for m in traps if m[1] == "family"]
    current = [m for m in true_mentions if m[1] != "history"] + [m for m in traps if m[1] != "family"]
    rng.shuffle(current)
    age = (day - patient["birth_date"]).days // 365
    who = "Patient" if patient["sex"] == "M" else "Patiente"
    if note_type == "CRI":
        w.line("Indication : " + rng.choice(["bilan étiologique.", "douleur thoracique.", "dyspnée aiguë.", "contrôle."]))
        w.line("Technique : acquisition selon le protocole standard, sans complication.")
        findings(w, rng, "Résultats", current)
        distractor(w, rng)
        w.line("Conclusion : examen interprété en lien avec le clinicien.")
    elif note_type == "CRO":
        w.line(f"Indication opératoire : {who.lower()} de {age} ans adressé{'e' if patient['sex'] == 'F' else ''} pour prise en charge chirurgicale.")
        if procedure:
            w.line(f"Intervention : {procedure[1]} (CCAM {procedure[0]}).")
        w.line("Installation en décubitus dorsal, anesthésie générale. Exploration sans particularité.")
        findings(w, rng, "Constatations", current)
        w.line("Fermeture plan par plan. Suites opératoires simples attendues.")
    else:
        reason = {"CRH": "Motif d'hospitalisation", "URG": "Motif de consultation aux urgences", "CONS": "Motif de consultation"}[note_type]
        w.line(f"{reason} : " + rng.choice(["douleur thoracique", "dyspnée", "altération de l'état général", "suivi", "bilan", "malaise", "fièvre"]) + ".")
        w.line()
        findings(w, rng, "Antécédents", history, empty="pas d'antécédent notable. ")
        w.line(f"Mode de vie : {patient['smoking_text'].lower()}.")
        w.line()
        e = "e" if patient["sex"] == "F" else ""
        how = rng.choice(["se présentant pour", f"adressé{e} par son médecin traitant pour", f"vu{e} en consultation pour"])
        why = rng.choice(["une dyspnée d'effort.", "une douleur thoracique atypique.", "un bilan de suivi.", "une fatigue inhabituelle."])
        w.line(f"Histoire de la maladie : {who} de {age} ans {how} {why}")
        w.write("Examen clinique : ")
        vitals(w, values)
        labs(w, values)
        w.line()
        distractor(w, rng)
        findings(w, rng, "Conclusion", current, empty="pas de nouvel élément. ")
        treatment(w, drugs)
    signature(w, rng)
    return w
