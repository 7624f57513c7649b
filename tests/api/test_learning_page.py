"""The learning path: the page ``/learn`` in French and English, every link it gives answering,
its shortcut forms doing what they say (the cohort builder runs the example, the models page
trains it and finds the figures the exercise quotes), and docs/learning.md kept from drifting:
every command it shows parses with the real CLI (the command, its subcommands, its options and
their values), the page's commands are the document's, the definition it asks to write is the
page's and a valid cohort, and the figures it quotes are those the demo gives."""

from __future__ import annotations

import html
import json
import re
import shlex
from pathlib import Path
from urllib.parse import urljoin

import click
import pytest
from fastapi.testclient import TestClient
from markupsafe import escape

from clinsearch.cli.main import main
from clinsearch.server import create_app
from clinsearch.services import cohorts
from clinsearch.services.demo import DEMO_USERS
from clinsearch.web import learning_pages, words_learning
from tests.helpers import run_cli

ROOT = Path(__file__).parent.parent.parent
DOC = ROOT / "docs" / "learning.md"
PATH = learning_pages.path_data()
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)
FORM = re.compile(r'<form method="post" action="([^"]+)" class="inline" data-testid="learn-form">(.*?)</form>', re.S)
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def logged_in(demo: Path, username: str) -> TestClient:
    client = TestClient(create_app(demo))
    me = client.post("/api/v1/login", json={"username": username, "password": {u: p for u, _, p in DEMO_USERS}[username], "purpose": "test"})
    assert me.status_code == 200, me.text
    return client


def texts(language: str) -> list[str]:
    """Every text of the exercises in ``language``."""
    out = [PATH["setup"]["text"][language]]
    for x in PATH["exercises"]:
        out += [x["title"][language], x["goal"][language]]
        out += [item[language] for key in ("steps", "figures", "questions", "meaning") for item in x[key]]
        out += [item["label"][language] for key in ("links", "forms") for item in x[key]]
    return out


def forms(page: str) -> list[tuple[str, dict]]:
    return [(action, {html.unescape(k): html.unescape(v) for k, v in HIDDEN.findall(body)}) for action, body in FORM.findall(page)]


def exercise(name: str) -> dict:
    return next(x for x in PATH["exercises"] if x["id"] == name)


# -- the page ------------------------------------------------------------------------------------

def test_the_exercises_are_written_in_both_languages():
    assert len(PATH["exercises"]) == 6
    assert set(words_learning.WORDS["fr"]) == set(words_learning.WORDS["en"])
    for language in ("fr", "en"):
        assert all(text.strip() for text in texts(language))
    assert texts("fr") != texts("en") and not set(texts("fr")) & set(texts("en"))
    for x in PATH["exercises"]:
        assert x["figures"] and x["questions"] and x["meaning"] and x["commands"], x["id"]


def test_the_page_is_french_by_default_and_english_on_demand(demo):
    client = logged_in(demo, "clinicien")
    french = client.get("/learn")
    assert french.status_code == 200 and '<html lang="fr">' in french.text
    assert words_learning.WORDS["fr"]["learn_title"] in html.unescape(french.text)
    assert french.text.count('data-testid="exercise"') == 6
    for x in PATH["exercises"]:
        assert escape(x["title"]["fr"]) in french.text and escape(x["figures"][0]["fr"]) in french.text
        for command in x["commands"]:
            assert escape(command) in french.text
    english = client.get("/learn?lang=en")
    assert english.status_code == 200 and '<html lang="en">' in english.text
    assert words_learning.WORDS["en"]["learn_title"] in html.unescape(english.text)
    for x in PATH["exercises"]:
        assert escape(x["title"]["en"]) in english.text and escape(x["title"]["fr"]) not in english.text
    # the definitions shown to copy are the ones the shortcut forms send
    assert escape(json.dumps(PATH["definitions"]["incident-cohort.json"], ensure_ascii=False, indent=1)) in english.text


def test_every_link_of_the_page_answers(demo):
    client = logged_in(demo, "clinicien")
    page = client.get("/learn").text
    links = set(re.findall(r'href="([^"]*)"', page))
    for link in PATH["exercises"][-1]["links"]:
        assert escape(link["href"]) in links  # a clinician gets the patients' pages
    anchors = {link for link in links if link.startswith("#")}
    assert anchors == {f"#{x['id']}" for x in PATH["exercises"]} and all(f'id="{a[1:]}"' in page for a in anchors)
    followed = sorted(links - anchors)
    assert {"/evaluate", "/models", "/cohorts", "/patients/25/similar"} <= set(followed)
    for link in followed:
        answer = client.get(urljoin("http://testserver/learn", html.unescape(link)))
        assert answer.status_code == 200, (link, answer.status_code)
    for action, _ in forms(page):
        assert action in ("/cohorts", "/models")


def test_a_researcher_gets_the_page_without_patients_links_and_an_admin_is_refused(demo):
    client = logged_in(demo, "chercheur")
    page = client.get("/learn")
    assert page.status_code == 200 and 'data-testid="learn-researcher"' in page.text
    links = set(re.findall(r'href="([^"#]+)"', page.text))
    assert not any(link.startswith("/patients/") for link in links)
    for link in sorted(links):
        assert client.get(urljoin("http://testserver/learn", html.unescape(link))).status_code == 200, link
    admin = logged_in(demo, "admin")
    assert admin.get("/learn").status_code == 403
    assert TestClient(create_app(demo)).get("/learn", follow_redirects=False).status_code == 303  # no login: to /login


def test_the_shortcut_forms_open_the_cohorts_in_the_builder(demo):
    client = logged_in(demo, "clinicien")
    page = client.get("/learn").text
    built = [(fields, client.post(action, data=fields)) for action, fields in forms(page) if action == "/cohorts"]
    assert len(built) == 2
    for fields, answer in built:
        assert answer.status_code == 200
        definition = json.loads(fields["definition"])
        assert escape(definition["name"]) in answer.text
        for criterion in definition["exclusion"]:
            assert escape(criterion["name"]) in answer.text  # the attrition's steps
    assert "178 patient" in built[0][1].text and "365 patient" in built[1][1].text  # as the documents say


@pytest.mark.parametrize("name, kind", [("overfit", "logistic"), ("prevalent", "logistic")])
def test_a_model_form_trains_and_finds_the_figures_the_exercise_quotes(demo, name, kind):
    client = logged_in(demo, "clinicien")
    page = client.get("/learn").text
    wanted = [(a, f) for a, f in forms(page) if a == "/models" and f["model"] == kind and "shuffle" not in f
              and json.loads(f["cohort"]) in (learning_pages.definition(r) for r in exercise(name)["json"])]
    assert len(wanted) == 1
    action, fields = wanted[0]
    fields.pop("save", None)  # nothing saved in the shared demo
    answer = client.post(action, data=fields)
    assert answer.status_code == 200 and 'data-testid="model-error"' not in answer.text
    auroc = re.search(r'data-testid="test-auroc">([^<]+)<', answer.text).group(1)
    assert re.fullmatch(r"\d\.\d{3} \(\d\.\d{3}–\d\.\d{3}\)", auroc)
    assert any(auroc in figure["en"] for figure in exercise(name)["figures"]), auroc
    assert auroc in DOC.read_text("utf-8")
    assert 'data-testid="overfit"' in answer.text  # the training AUROC is well above the held-back one


# -- the document and the CLI ----------------------------------------------------------------------

def doc_commands() -> list[str]:
    """Every ``clinsearch`` command line of the document's code blocks, continuations joined."""
    found = []
    for _, block in FENCE.findall(DOC.read_text("utf-8")):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.strip().removeprefix("$ ")
            if line.startswith("clinsearch "):
                found.append(" ".join(shlex.split(line, comments=True)))
    return found


def resolve(words: list[str]) -> click.Command:
    """The command ``clinsearch WORDS`` names, its arguments parsed as click would parse them (an
    unknown command or option, a bad choice, a missing required option raise)."""
    command: click.Command = main
    # a context made by hand takes the command's settings only when given them (make_context would);
    # without them the help option click caches on each command would lose its "-h"
    context = click.Context(main, info_name="clinsearch", **main.context_settings)
    rest = click.Command.parse_args(main, context, list(words))
    while isinstance(command, click.Group):
        assert rest, f"clinsearch {' '.join(words)}: no command"
        name, sub, rest = command.resolve_command(context, rest)
        if isinstance(sub, click.Group):
            context = click.Context(sub, info_name=name, parent=context, **sub.context_settings)
            rest = click.Command.parse_args(sub, context, rest)
        else:
            context = sub.make_context(name, rest, parent=context)
        command = sub
    return command


def test_each_command_of_the_document_parses_with_the_cli():
    commands = doc_commands()
    assert len(commands) >= 15
    named = set()
    for command in commands:
        words = shlex.split(command)[1:]
        named.add(resolve(words).name)
        assert "--data" not in words or words[words.index("--data") + 1] == "demo-data"
    assert {"demo", "serve", "evaluate", "train", "show", "cohort", "similar"} <= named


def test_the_resolver_refuses_what_the_cli_refuses():
    for wrong in (["modle", "train"], ["model", "train", "--cohort", "c.json"], ["model", "train", "--cohort", "c.json", "--outcome-definition", "o.json", "--model", "forest"],
                  ["evaluate", "--score-nom", "score2"], ["similar", "25", "--limit", "0"]):
        with pytest.raises(click.ClickException):
            resolve(wrong)


def test_the_page_commands_are_the_documents():
    shown = set(doc_commands())
    on_page = PATH["setup"]["commands"] + [c for x in PATH["exercises"] for c in x["commands"]]
    missing = [c for c in on_page if " ".join(shlex.split(c)) not in shown]
    assert missing == []


def test_the_definition_the_document_asks_to_write_is_the_pages_and_runs():
    blocks = [json.loads(block) for kind, block in FENCE.findall(DOC.read_text("utf-8")) if kind == "json"]
    assert blocks == [PATH["definitions"]["incident-cohort.json"]]
    cohorts.check(blocks[0])
    refs = {ref for x in PATH["exercises"] for ref in x["json"] + [v for form in x["forms"] for v in form["fields"].values() if v.startswith("@")]}
    assert len(refs) == 5
    for ref in refs:
        definition = learning_pages.definition(ref)
        if "index" in definition:  # a cohort (an outcome is criteria only)
            cohorts.check(definition)
        else:
            assert definition["inclusion"] and all("window" in c for c in definition["inclusion"])


# -- the figures the document quotes are the demo's --------------------------------------------------

def documented(command_start: str) -> list[str]:
    return next(shlex.split(c)[1:] for c in doc_commands() if c.startswith(command_start))


def test_the_score2_figures_are_those_the_demo_gives(demo, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)  # the document's paths are the repository's
    words = documented("clinsearch --data demo-data evaluate --cohort src/clinsearch/demo/examples/score2-cohort.json --score-name score2 --outcome-definition src/clinsearch/demo/examples/mace-outcome.json --report")
    words = [str(demo) if w == "demo-data" else str(tmp_path / w) if w.endswith(".html") else w for w in words]
    result = run_cli(*words)
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    doc = DOC.read_text("utf-8")
    auroc = out["scores"]["score2"]["auroc"]
    assert f"AUROC {auroc['value']:.3f} ({auroc['ci_low']:.3f}–{auroc['ci_high']:.3f})" in doc
    assert f"{out['n']} patients" in doc and f"{out['events']} events" in doc
    calibration = out["scores"]["score2"]["calibration"]
    assert f"slope {calibration['slope']:.2f}, O/E {calibration['oe']:.2f}" in doc
    for sex in ("female", "male"):
        group = out["groups"]["sex"][sex]
        assert f"{group['n']} patients, {group['events']} events" in doc and f"O/E {group['score2']['calibration']['oe']:.2f}" in doc
        assert "too small to conclude" in group["warning"]
    assert (tmp_path / "score2.html").exists()


def test_the_look_alikes_of_the_lung_cancer_patient_are_those_the_document_says(demo):
    truth = {p["person_id"]: p["conditions"] for p in json.loads((demo / "demo-source" / "ground_truth.json").read_text("utf-8"))["patients"].values()}
    words = [str(demo) if w == "demo-data" else w for w in documented("clinsearch --data demo-data similar 25")]
    result = run_cli(*words, "--json")
    assert result.exit_code == 0, result.stderr
    found = json.loads(result.stdout)["patients"]
    with_cancer = [p for p, conditions in truth.items() if "cancer_poumon" in conditions and p != 25]
    assert "cancer_poumon" in truth[25] and len(with_cancer) == 10
    assert sorted(p["person_id"] for p in found) == sorted(with_cancer)
    assert f"similarity from {found[0]['similarity']:.3f} to {found[-1]['similarity']:.3f}" in DOC.read_text("utf-8")
