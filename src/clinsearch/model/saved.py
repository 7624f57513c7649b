"""Saved models: ``DATA/models/NAME/`` holds ``model.json`` (the definition: cohort, outcome,
feature spec and columns, training choices, the evaluation of the held-back patients, the card,
the held-back patients' predictions) and ``model.joblib`` (the fitted scikit-learn pipeline).

A joblib file is a pickle: loading one runs code. Only clinsearch writes into the data directory
(mode 0700), and ``model.json`` records the pipeline's SHA-256, checked before it is loaded: a
file changed or swapped since training is refused, never loaded. The folder is written beside
and renamed into place, so a crash leaves the old model or the new one, never half of one.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

from clinsearch.config import private_dir

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
FOLDER = "models"


class ModelError(ValueError):
    """A model that cannot be saved, found or loaded; the message says which and why."""


def check_name(name: str) -> str:
    if not NAME.match(name or ""):
        raise ModelError(f"model name {name!r}: use 1 to 64 letters, digits, '.', '_' or '-' (starting with a letter or digit)")
    return name


def folder(data: Path) -> Path:
    return Path(data) / FOLDER


def save(data: Path, name: str, pipeline, definition: dict) -> Path:
    """Write the model ``name`` (replacing a previous one of that name)."""
    import joblib
    import sklearn

    check_name(name)
    private_dir(data)
    root = folder(data)
    root.mkdir(exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=root))
    try:
        joblib.dump(pipeline, staging / "model.joblib")
        digest = hashlib.sha256((staging / "model.joblib").read_bytes()).hexdigest()
        meta = {**definition, "name": name, "pipeline_sha256": digest, "scikit_learn": sklearn.__version__}
        (staging / "model.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
        target = root / name
        old = None
        if target.exists():
            old = root / f".{name}.old"
            shutil.rmtree(old, ignore_errors=True)
            os.replace(target, old)
        os.replace(staging, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return target
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def definition(data: Path, name: str) -> dict:
    """The saved definition of ``name`` (no pipeline loaded)."""
    path = folder(data) / check_name(name) / "model.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        known = ", ".join(m["name"] for m in listed(data)) or "none saved yet"
        raise ModelError(f"no model named {name!r} (models: {known})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelError(f"{path}: unreadable ({exc})") from None


def load(data: Path, name: str) -> tuple[object, dict]:
    """(the fitted pipeline, its definition), after checking the pipeline is the one trained."""
    import joblib
    import sklearn

    meta = definition(data, name)
    path = folder(data) / name / "model.joblib"
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        raise ModelError(f"model {name!r}: its pipeline file is missing ({path.name})") from None
    if hashlib.sha256(content).hexdigest() != meta.get("pipeline_sha256"):
        raise ModelError(f"model {name!r}: its pipeline file is not the one trained (SHA-256 differs): refused")
    if meta.get("scikit_learn") != sklearn.__version__:
        raise ModelError(f"model {name!r} was trained with scikit-learn {meta.get('scikit_learn')}, this is {sklearn.__version__}: "
                         "train it again (its predictions could differ)")
    return joblib.load(path), meta


def listed(data: Path) -> list[dict]:
    """Every saved model's name, kind, cohort, outcome, date and test AUROC."""
    out = []
    root = folder(data)
    for path in sorted(root.glob("*/model.json")) if root.exists() else []:
        if path.parent.name.startswith("."):
            continue
        try:
            meta = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            continue
        result = meta.get("result", {})
        auroc = result.get("test", {}).get("scores", {}).get(meta["name"], {}).get("auroc", {})
        out.append({"name": meta["name"], "model": result.get("model"), "cohort": result.get("cohort"), "outcome": result.get("outcome"),
                    "trained_at": meta.get("trained_at"), "trained_by": meta.get("trained_by"), "n_train": result.get("n_train"),
                    "test_auroc": auroc.get("value")})
    return out
