"""Units of laboratory measurements: which LOINC code measures which quantity, and the linear
conversions between the units a quantity is written in, each with its factor's source.

Cholesterol: 1 mmol/L = 38.67 mg/dL (molar mass 386.65 g/mol); French laboratories often write
g/L (1 g/L = 100 mg/dL). Glucose: 1 mmol/L = 18.016 mg/dL (180.16 g/mol). Creatinine:
1 mg/dL = 88.42 µmol/L (113.12 g/mol). HbA1c: IFCC mmol/mol = (NGSP % − 2.15) × 10.929
(IFCC-NGSP master equation, Hoelzel et al., Clin Chem 2004). Weight and height: 1 lb = 0.45359237
kg and 1 in = 2.54 cm exactly (International Yard and Pound Agreement, 1959).

>>> round(convert(6.0, "mmol/L", "g/L", "cholesterol"), 2)
2.32
>>> round(convert(1.26, "g/L", "mmol/L", "glucose"), 2)
6.99
>>> convert(1.0, "mg/dL", "µmol/L", "creatinine")
88.42
"""

from __future__ import annotations

CHOLESTEROL_MG_DL_PER_MMOL_L = 38.67
GLUCOSE_MG_DL_PER_MMOL_L = 18.016
CREATININE_UMOL_L_PER_MG_DL = 88.42
HBA1C_IFCC_PER_NGSP = 10.929
HBA1C_NGSP_OFFSET = 2.15
KG_PER_LB = 0.45359237
CM_PER_INCH = 2.54

# quantity -> {unit (normalised) -> (scale, offset)}: value in the quantity's first unit = value × scale + offset
QUANTITIES: dict[str, dict[str, tuple[float, float]]] = {
    "cholesterol": {"mmol/l": (1.0, 0.0), "g/l": (100 / CHOLESTEROL_MG_DL_PER_MMOL_L, 0.0), "mg/dl": (1 / CHOLESTEROL_MG_DL_PER_MMOL_L, 0.0)},
    "glucose": {"mmol/l": (1.0, 0.0), "g/l": (100 / GLUCOSE_MG_DL_PER_MMOL_L, 0.0), "mg/dl": (1 / GLUCOSE_MG_DL_PER_MMOL_L, 0.0)},
    "creatinine": {"µmol/l": (1.0, 0.0), "umol/l": (1.0, 0.0), "mg/dl": (CREATININE_UMOL_L_PER_MG_DL, 0.0), "mg/l": (CREATININE_UMOL_L_PER_MG_DL / 10, 0.0)},
    "hba1c": {"%": (1.0, 0.0), "mmol/mol": (1 / HBA1C_IFCC_PER_NGSP, HBA1C_NGSP_OFFSET)},
    "pressure": {"mmhg": (1.0, 0.0), "mm[hg]": (1.0, 0.0)},
    "bmi": {"kg/m2": (1.0, 0.0), "kg/m²": (1.0, 0.0)},
    "egfr": {"ml/min/1.73m2": (1.0, 0.0), "ml/min": (1.0, 0.0)},
}

# LOINC code -> quantity (the codes clinsearch's sources and scores use)
LOINC: dict[str, str] = {
    "2093-3": "cholesterol",  # total cholesterol
    "2085-9": "cholesterol",  # HDL cholesterol
    "2089-1": "cholesterol",  # LDL cholesterol (measured)
    "13457-7": "cholesterol",  # LDL cholesterol (calculated)
    "18262-6": "cholesterol",  # LDL cholesterol (direct assay)
    "2345-7": "glucose",
    "2339-0": "glucose",
    "1558-6": "glucose",  # fasting glucose
    "2160-0": "creatinine",
    "38483-4": "creatinine",
    "14682-9": "creatinine",
    "4548-4": "hba1c",
    "17856-6": "hba1c",
    "8480-6": "pressure",
    "8462-4": "pressure",
    "39156-5": "bmi",
    "62238-1": "egfr",
    "33914-3": "egfr",
    "98979-8": "egfr",
}


def normalise(unit: str | None) -> str:
    """A unit as the tables key it: lower case, no spaces, one micro sign."""
    return (unit or "").strip().lower().replace(" ", "").replace("μ", "µ").replace("{1.73_m2}", "1.73m2").replace("/1.73.m2", "/1.73m2")


def hba1c_ifcc(ngsp_percent: float) -> float:
    """HbA1c in IFCC mmol/mol from NGSP % (the master equation above).

    >>> round(hba1c_ifcc(7.0), 1)
    53.0
    """
    return (ngsp_percent - HBA1C_NGSP_OFFSET) * HBA1C_IFCC_PER_NGSP


def units_of(quantity: str) -> list[str]:
    return list(QUANTITIES[quantity])


def factor(quantity: str, source: str | None, target: str | None) -> tuple[float, float] | None:
    """(a, b) such that a value in ``source`` is ``value × a + b`` in ``target``; None when
    either unit is not one of the quantity's."""
    units = QUANTITIES[quantity]
    s, t = units.get(normalise(source)), units.get(normalise(target))
    if s is None or t is None:
        return None
    # to the base unit: v*s0 + s1; from it: (x - t1) / t0
    return s[0] / t[0], (s[1] - t[1]) / t[0]


def convert(value: float, source: str | None, target: str | None, quantity: str) -> float:
    """``value`` written in ``source`` expressed in ``target``; ValueError for units the quantity
    does not know (never guessed)."""
    found = factor(quantity, source, target)
    if found is None:
        raise ValueError(f"{quantity}: cannot convert {source or 'no unit'!r} to {target or 'no unit'!r} (known: {', '.join(QUANTITIES[quantity])})")
    return value * found[0] + found[1]
