"""The evaluation report for clinicians: one self-contained HTML file (figures embedded as PNG,
no script, no CDN), each figure with a plain-language reading, the sample, the missing data, the
warnings and a TRIPOD+AI-style list of what the evaluation covers and what it does not
(Collins et al., BMJ 2024;385:e078378).
"""

from __future__ import annotations

import base64
import datetime as dt
import io

import numpy as np
from jinja2 import Environment, PackageLoader, select_autoescape

from clinsearch import __version__
from clinsearch.evaluate import metrics
from clinsearch.evaluate.data import Dataset
from clinsearch.evaluate.report_words import WORDS, say, words

COLOURS = ("#0b5cad", "#c2410c", "#15803d", "#7c3aed")


def render(data: Dataset, result: dict, scores: dict[str, np.ndarray], lang: str = "en") -> str:
    """``scores``: the probabilities evaluated (after any rescaling), by name; ``lang``: the
    report's language (``report_words``: en, fr)."""
    import matplotlib

    matplotlib.use("Agg")
    w = words(lang)
    figures = {
        "roc": _roc(data, scores, w),
        "calibration": _calibration(data, scores, w),
        "decision": _decision(result, w),
    }
    if result["groups"]:
        figures["groups"] = _groups(result, w, lang)
    environment = Environment(loader=PackageLoader("clinsearch.evaluate", "templates"), autoescape=select_autoescape(["html"]))
    return environment.get_template("report.html").render(
        r=result, figures=figures, readings=readings(result, lang), checklist=checklist(result, lang), version=__version__,
        made=dt.datetime.now().strftime("%Y-%m-%d %H:%M"), pct=_pct, num=_num, w=w, say=lambda text: say(text, lang), lang=lang if lang in WORDS else "en",
    )


def readings(result: dict, lang: str = "en") -> dict[str, list[str]]:
    """What each figure says, in words, with its numbers."""
    w = words(lang)
    out: dict[str, list[str]] = {"roc": [], "calibration": [], "decision": [], "groups": []}
    for name, s in result["scores"].items():
        a = s["auroc"]
        strength = w["strengths"][sum(a["value"] >= cut for cut in (0.6, 0.7, 0.8, 0.9))]
        out["roc"].append(w["roc_reading"].format(name=name, auroc=f"{a['value']:.3f}", low=_num(a["ci_low"]), high=_num(a["ci_high"]), strength=strength,
                                                  chance=f"{100 * a['value']:.0f}", auprc=f"{s['auprc']:.3f}", share=f"{result['events'] / result['n']:.3f}"))
        if "calibration" in s:
            c = s["calibration"]
            direction = w["over"] if c["oe"] is not None and c["oe"] < 0.9 else w["under"] if c["oe"] is not None and c["oe"] > 1.1 else w["matches"]
            spread = (w["spread_none"] if c["slope"] is None else w["spread_extreme"] if c["slope"] < 0.8 else
                      w["spread_moderate"] if c["slope"] > 1.2 else w["spread_right"])
            out["calibration"].append(w["calibration_reading"].format(
                name=name, observed=c["observed"], expected=f"{c['expected']:.1f}", oe=_num(c["oe"]), direction=direction,
                intercept=f"{c['intercept']:.2f}", slope=_num(c["slope"], 2), spread=spread, brier=f"{s['brier']:.4f}"))
            useful = [p["threshold"] for p in s["net_benefit"] if p["net_benefit"] > max(p["treat_all"], 0) + 1e-12]
            if useful:
                out["decision"].append(w["useful"].format(name=name, low=f"{min(useful):.0%}", high=f"{max(useful):.0%}"))
            else:
                out["decision"].append(w["useless"].format(name=name))
    if "comparison" in result:
        c = result["comparison"]
        verdict = w["not_chance"] if c["p_value"] < 0.05 else w["maybe_chance"]
        out["roc"].append(w["difference_reading"].format(a=c["scores"][0], b=c["scores"][1], d=f"{c['auroc_difference']:+.3f}", low=f"{c['ci_low']:+.3f}",
                                                         high=f"{c['ci_high']:+.3f}", p=f"{c['p_value']:.3g}", verdict=verdict))
    for column, fairness in result["fairness"].items():
        for name, f in fairness.items():
            gap = f["difference"].get("auroc")
            if gap is not None:
                flagged = next((v for k, v in f["difference"].items() if k.startswith("flagged_rate")), None)
                out["groups"].append(w["groups_reading"].format(name=name, column=column, gap=f"{gap:.3f}", brier=_num(f["difference"].get("brier")),
                                                                flagged=_num(flagged)))
    return out


def checklist(result: dict, lang: str = "en") -> list[tuple[str, bool, str]]:
    """(item, covered, how) -- after TRIPOD+AI's items on evaluation; a "how" of two texts
    ``covered|not covered`` gives the one that applies."""
    has_probabilities = any("calibration" in s for s in result["scores"].values())
    covered = (True, True, True, True, has_probabilities, has_probabilities, bool(result["groups"]), "comparison" in result,
               False, False, False, False)
    values = {"outcome": result["outcome"], "n": result["n"], "events": result["events"], "missing": sum(result["missing"].values()),
              "groups": ", ".join(result["groups"])}
    out = []
    for (item, how), done in zip(words(lang)["checklist"], covered):
        yes, _, no = how.partition("|")
        out.append((item, done, (yes if done or not no else no).format(**values)))
    return out


def _png(figure) -> str:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _roc(data: Dataset, scores: dict, w: dict) -> str:
    import matplotlib.pyplot as plt
    from sklearn.metrics import roc_curve

    figure, axis = plt.subplots(figsize=(5, 5))
    for colour, (name, p) in zip(COLOURS, scores.items()):
        fpr, tpr, _ = roc_curve(data.y, p)
        axis.plot(fpr, tpr, color=colour, label=name)
    axis.plot([0, 1], [0, 1], color="#999", linestyle="--", label=w["chance"])
    axis.set(xlabel=w["fpr"], ylabel=w["tpr"], title=w["roc_title"])
    axis.legend(loc="lower right")
    return _png(figure)


def _calibration(data: Dataset, scores: dict, w: dict) -> str:
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(5.5, 5))
    top = 0.0
    for colour, (name, p) in zip(COLOURS, scores.items()):
        curve = metrics.calibration_curve(data.y, p)
        x = [b["predicted"] for b in curve["bins"]]
        y = [b["observed"] for b in curve["bins"]]
        errors = [[max(b["observed"] - b["low"], 0) for b in curve["bins"]], [max(b["high"] - b["observed"], 0) for b in curve["bins"]]]
        axis.errorbar(x, y, yerr=errors, fmt="o", color=colour, capsize=3, label=w["tenths"].format(name=name))
        axis.plot(curve["grid"], curve["smooth"], color=colour, label=f"{name}: LOWESS")
        axis.fill_between(curve["grid"], curve["smooth_low"], curve["smooth_high"], color=colour, alpha=0.15)
        top = max(top, max(x), max(b["high"] for b in curve["bins"]))
    limit = min(1.0, top * 1.1 + 0.02)
    axis.plot([0, limit], [0, limit], color="#999", linestyle="--", label=w["perfect"])
    axis.set(xlim=(0, limit), ylim=(0, limit), xlabel=w["predicted_risk"], ylabel=w["observed_share"], title=w["calibration_title"])
    axis.legend(loc="upper left", fontsize=8)
    return _png(figure)


def _decision(result: dict, w: dict) -> str:
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6, 4.5))
    prevalence = result["events"] / result["n"]
    limit = min(0.99, max(0.3, prevalence * 3))
    lowest = 0.0
    for colour, (name, s) in zip(COLOURS, result["scores"].items()):
        if "net_benefit" not in s:
            continue
        points = [p for p in s["net_benefit"] if p["threshold"] <= limit]
        axis.plot([p["threshold"] for p in points], [p["net_benefit"] for p in points], color=colour, label=name)
        lowest = min(lowest, min(p["net_benefit"] for p in points))
    grid = [t for t in metrics.NET_BENEFIT_GRID if t <= limit]
    axis.plot(grid, [prevalence - (1 - prevalence) * t / (1 - t) for t in grid], color="#666", label=w["treat_all"])
    axis.axhline(0, color="#111", linewidth=1, label=w["treat_none"])
    axis.set(xlim=(0, limit), ylim=(min(lowest, -0.01) - 0.01, prevalence * 1.1 + 0.005), xlabel=w["threshold_probability"],
             ylabel=w["net_benefit"], title=w["decision_title"])
    axis.legend(fontsize=8)
    return _png(figure)


def _groups(result: dict, w: dict, lang: str = "en") -> str:
    import matplotlib.pyplot as plt

    rows = []
    for column, groups in result["groups"].items():
        for value, entry in groups.items():
            for name in result["scores"]:
                s = entry.get(name, {})
                if "auroc" in s and s["auroc"]["ci_low"] is not None:
                    rows.append((f"{column} = {say(value, lang)} ({entry['n']}, {entry['events']} {w['ev']})", name, s["auroc"]))
    figure, axis = plt.subplots(figsize=(6.5, 0.45 * len(rows) + 1.2))
    names = list(result["scores"])
    for i, (label, name, a) in enumerate(rows):
        colour = COLOURS[names.index(name) % len(COLOURS)]
        axis.errorbar([a["value"]], [i], xerr=[[a["value"] - a["ci_low"]], [a["ci_high"] - a["value"]]], fmt="s", color=colour, capsize=3)
    axis.set_yticks(range(len(rows)), [f"{label} · {name}" for label, name, _ in rows], fontsize=8)
    axis.axvline(0.5, color="#999", linestyle="--")
    axis.set(xlabel=w["auroc_ci_axis"], title=w["groups_title"], xlim=(0, 1))
    axis.invert_yaxis()
    return _png(figure)


def _pct(value) -> str:
    return "—" if value is None else f"{100 * value:.1f} %"


def _num(value, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"
