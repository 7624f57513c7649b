"""The documentation is checked: every module example runs, docs/cli.md is the CLI's own help,
links between the documents lead somewhere, and the commands the documents show exist.

Regenerate docs/cli.md with ``python -m tests.test_docs`` (``make docs``).
"""

from __future__ import annotations

import ast
import difflib
import doctest
import importlib
import importlib.util
import pkgutil
import re
import shlex
from functools import cache
from pathlib import Path

import pytest

import clinsearch
from tests.helpers import run_cli

ROOT = Path(__file__).parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
CLI_COMMANDS = [[], ["ingest"], ["stats"], ["demo"], ["nlp"], ["nlp", "evaluate"], ["index"], ["search"], ["cohort"], ["evaluate"], ["score"], ["user", "add"], ["user", "list"], ["user", "disable"], ["user", "enable"], ["user", "passwd"], ["user", "remove"], ["user", "sessions"], ["audit", "verify"], ["serve"], ["annotate"], ["quarantine", "list"], ["quarantine", "show"], ["quarantine", "clear"], ["similar"], ["model", "train"], ["model", "apply"], ["model", "list"], ["model", "show"]]
CLI_DOC = DOCS / "cli.md"
REGENERATE = "python -m tests.test_docs"


# -- module examples -----------------------------------------------------------------------------

def package_modules() -> tuple[list[str], list[str]]:
    """Every module of the installed package, and the packages that could not be imported to be
    walked (their modules are then missing from the first list). A ``__main__`` is a script,
    run by ``python -m``: importing it would run the command, so it is left out."""
    unwalkable: list[str] = []
    walked = pkgutil.walk_packages(clinsearch.__path__, "clinsearch.", onerror=unwalkable.append)
    return [info.name for info in walked if info.name.rpartition(".")[2] != "__main__"], unwalkable


def has_examples(name: str) -> bool:
    """Whether a docstring of the module (its own, a class's or a function's) holds a ``>>>``
    example; read from the source, so that finding the examples imports nothing."""
    spec = importlib.util.find_spec(name)
    if spec is None or not (spec.origin or "").endswith(".py"):
        return False
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    kinds = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    return any(">>>" in (ast.get_docstring(node, clean=False) or "") for node in ast.walk(tree) if isinstance(node, kinds))


MODULES, UNWALKABLE = package_modules()
MODULES_WITH_EXAMPLES = [name for name in MODULES if has_examples(name)]


def test_the_modules_with_examples_are_found():
    assert UNWALKABLE == [], f"packages that could not be imported, so their modules were not searched: {UNWALKABLE}"
    known = {"clinsearch.ids", "clinsearch.search.query", "clinsearch.scores.score2", "clinsearch.security.audit",
             "clinsearch.nlp.lexicon"}
    assert known <= set(MODULES_WITH_EXAMPLES), sorted(known - set(MODULES_WITH_EXAMPLES))


def test_every_module_of_the_package_imports():
    """An optional dependency missing from the test environment (pyspark for nlp.spark, ...)
    is a failure here, never a skip: a module nobody can import is a module nobody tests."""
    failures = []
    for name in MODULES:
        try:
            importlib.import_module(name)
        except Exception as error:  # any error: the point is to list them all at once
            failures.append(f"{name}: {type(error).__name__}: {error}")
    assert failures == [], "modules that cannot be imported:\n" + "\n".join(failures)


def comment_examples(module) -> list[str]:
    """The ``>>> #`` lines of a module: doctest drops an example that is only a comment, so it
    never runs and can never fail."""
    lines = Path(module.__file__).read_text(encoding="utf-8").splitlines()
    return [f"{module.__file__}:{number}: {line.strip()}"
            for number, line in enumerate(lines, start=1) if re.match(r"\s*>>>\s*#", line)]


@pytest.mark.parametrize("name", MODULES_WITH_EXAMPLES)
def test_module_examples_run(name):
    module = importlib.import_module(name)
    runner = doctest.DocTestRunner()
    report: list[str] = []
    for test in doctest.DocTestFinder().find(module):
        runner.run(test, out=report.append)
    results = runner.summarize(verbose=False)
    assert results.failed == 0, "".join(report)
    assert results.attempted > 0, (
        "no example of the module runs; an example that is only a comment never does:\n" + "\n".join(comment_examples(module))
    )


# -- the command-line reference ------------------------------------------------------------------

def cli_reference() -> str:
    parts = ["# Command-line reference", "", "Generated from `clinsearch --help`; `tests/test_docs.py` checks it is current.", ""]
    for command in CLI_COMMANDS:
        parts += [f"## clinsearch {' '.join(command)}".rstrip(), "", "```", run_cli(*command, "--help").stdout.rstrip(), "```", ""]
    return "\n".join(parts)


def write_cli_reference(path: Path = CLI_DOC) -> None:
    path.write_text(cli_reference(), encoding="utf-8")


def test_the_cli_reference_is_current():
    expected = cli_reference()
    current = CLI_DOC.read_text(encoding="utf-8") if CLI_DOC.exists() else ""
    if current != expected:
        diff = list(difflib.unified_diff(current.splitlines(), expected.splitlines(), "docs/cli.md", "clinsearch --help",
                                         lineterm=""))
        shown = "\n".join(diff[:40]) + (f"\n... ({len(diff) - 40} more lines)" if len(diff) > 40 else "")
        pytest.fail(f"docs/cli.md is not the CLI's help; regenerate it with `{REGENERATE}`:\n{shown}", pytrace=False)


# -- links and commands in the documents ---------------------------------------------------------

DOCUMENTS = [README, *sorted(DOCS.glob("*.md"))]
FENCE = re.compile(r"^```.*?^```", re.M | re.S)
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
COMMAND = re.compile(r"(?:^|&&|;|\|)\s*(?:\$\s+)?(?:[\w.~-]*/)?clinsearch[ \t]+(?P<rest>.*)")
GLOBAL_OPTIONS = {"--data", "--warehouse"}


def prose(text: str) -> str:
    """The text without its code blocks and inline code, where brackets are not links."""
    return re.sub(r"`[^`\n]*`", "", FENCE.sub("", text))


def relative_links(path: Path) -> list[str]:
    """The link targets of a Markdown file that are not URLs (``https:``, ``mailto:`` ...)."""
    targets = LINK.findall(prose(path.read_text(encoding="utf-8")))
    return [target for target in targets if not re.match(r"[a-z][a-z0-9+.-]*:", target)]


def anchors(path: Path) -> set[str]:
    """The anchors GitHub gives the headings of a Markdown file: lower case, punctuation dropped,
    spaces as hyphens, ``-1``, ``-2`` ... after a repeated heading."""
    seen: dict[str, int] = {}
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*#*$", FENCE.sub("", path.read_text(encoding="utf-8")), re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        seen[slug] = seen.get(slug, -1) + 1
        if seen[slug]:
            seen[f"{slug}-{seen[slug]}"] = 0
    return set(seen)


def broken_link(document: Path, target: str) -> str | None:
    """Why a relative link of ``document`` leads nowhere, or None when it leads somewhere."""
    file, _, anchor = target.partition("#")
    path = (document.parent / file) if file else document
    if not path.exists():
        return f"{target}: no such file"
    if anchor and path.suffix == ".md" and anchor not in anchors(path):
        return f"{target}: no heading #{anchor} in {path.name}"
    return None


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_lead_to_files_and_headings_that_exist(document):
    broken = [reason for target in relative_links(document) if (reason := broken_link(document, target))]
    assert broken == [], f"{document.relative_to(ROOT)} has links that lead nowhere:\n" + "\n".join(broken)


@cache
def subcommands(*group: str) -> frozenset[str]:
    """The commands ``clinsearch GROUP... --help`` lists (empty for a command that is no group)."""
    help_text = run_cli(*group, "--help").stdout
    section = help_text.split("\nCommands:\n", 1)[1] if "\nCommands:\n" in help_text else ""
    return frozenset(re.findall(r"^  (\S+)", section.split("\n\n")[0], re.M))


def commands_shown(text: str) -> list[tuple[int, list[str]]]:
    """(line, words after ``clinsearch`` and its global options) of every command line of the
    text's code blocks."""
    shown = []
    for block in FENCE.finditer(text):
        first = text.count("\n", 0, block.start()) + 1
        for offset, line in enumerate(block.group().splitlines()[1:-1], start=1):
            for match in COMMAND.finditer(line):
                try:
                    words = shlex.split(match["rest"], comments=True)
                except ValueError:  # an unbalanced quote in an example's text
                    words = match["rest"].split()
                while words and (words[0] in GLOBAL_OPTIONS or words[0].split("=")[0] in GLOBAL_OPTIONS):
                    words = words[2:] if words[0] in GLOBAL_OPTIONS else words[1:]
                if words and words[0] not in {"--help", "-h", "--version"}:
                    shown.append((first + offset, words))
    return shown


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_commands_shown_are_commands_of_the_cli(document):
    assert subcommands(), "`clinsearch --help` lists no commands"
    wrong = []
    for line, words in commands_shown(document.read_text(encoding="utf-8")):
        group: tuple[str, ...] = ()
        for word in words:
            choices = subcommands(*group)
            if not choices or word.startswith("-"):
                break
            if word not in choices:
                wrong.append(f"line {line}: clinsearch {' '.join(group + (word,))}: not one of {sorted(choices)}")
                break
            group += (word,)
    assert wrong == [], f"{document.relative_to(ROOT)}:\n" + "\n".join(wrong)


def test_the_readme_shows_commands():
    assert len(commands_shown(README.read_text(encoding="utf-8"))) >= 10


if __name__ == "__main__":
    write_cli_reference()
    print(f"wrote {CLI_DOC.relative_to(ROOT)}")
