"""Unit conversions for score inputs (the factors and their sources: ``clinsearch.units``).

>>> round(convert("total_chol", 195, "mg/dL"), 2)
5.04
>>> round(convert("creatinine", 88.42, "µmol/L"), 2)
1.0
"""

from __future__ import annotations

from clinsearch.units import CHOLESTEROL_MG_DL_PER_MMOL_L, CM_PER_INCH, CREATININE_UMOL_L_PER_MG_DL, KG_PER_LB, hba1c_ifcc, normalise


def _same(value: float) -> float:
    return value


def _from_umol_l(creatinine: float) -> float:
    return creatinine / CREATININE_UMOL_L_PER_MG_DL


def _from_pounds(weight: float) -> float:
    return weight * KG_PER_LB


def _from_inches(height: float) -> float:
    return height * CM_PER_INCH


_CHOLESTEROL = {"mmol/l": _same, "mg/dl": lambda v: v / CHOLESTEROL_MG_DL_PER_MMOL_L, "g/l": lambda v: v * 100 / CHOLESTEROL_MG_DL_PER_MMOL_L}

# input -> unit it is used in, and {unit as written (normalised) -> function to that unit}
CONVERSIONS = {
    "total_chol": ("mmol/L", _CHOLESTEROL),
    "hdl": ("mmol/L", _CHOLESTEROL),
    "sbp": ("mmHg", {"mmhg": _same, "mm[hg]": _same}),
    "hba1c": ("mmol/mol", {"mmol/mol": _same, "%": hba1c_ifcc}),
    "creatinine": ("mg/dL", {"mg/dl": _same, "µmol/l": _from_umol_l, "umol/l": _from_umol_l, "mg/l": lambda v: v / 10}),
    "egfr": ("mL/min/1.73m2", {"ml/min/1.73m2": _same, "ml/min": _same}),
    "bmi": ("kg/m2", {"kg/m2": _same, "kg/m^2": _same, "kg/m²": _same}),
    "weight": ("kg", {"kg": _same, "g": lambda v: v / 1000, "[lb_av]": _from_pounds, "lb": _from_pounds}),
    "height": ("cm", {"cm": _same, "m": lambda v: v * 100, "[in_i]": _from_inches, "in": _from_inches}),
    "inr": ("", {"": _same, "{inr}": _same, "{ratio}": _same, "ratio": _same}),
}


def target_unit(name: str) -> str | None:
    return CONVERSIONS[name][0] if name in CONVERSIONS else None


def convert(name: str, value: float, unit: str | None) -> float:
    """``value`` of input ``name`` in ``unit``, converted to the unit the scores use; raises
    ValueError for a unit it does not know (never guesses)."""
    if name not in CONVERSIONS:
        return value
    target, known = CONVERSIONS[name]
    function = known.get(normalise(unit))
    if function is None:
        raise ValueError(f"{name} in {unit or 'no unit'!r} cannot be converted to {target} (known: {', '.join(sorted(known))})")
    return function(value)
