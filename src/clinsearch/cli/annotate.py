"""``clinsearch annotate``: what the NLP understands in a text (nothing read from the warehouse)."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.table import Table

from clinsearch.cli.console import echo_json, fail, out
from clinsearch.cli.progress import StageBars


@click.command("annotate")
@click.argument("text", required=False)
@click.option("--file", "file", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Annotate the text of this file.")
@click.option("--lines", "lines", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Annotate each line of this file on its own (plain text, or JSON {\"text\", \"terms\"}); one JSON object per line.")
@click.option("--lang", type=click.Choice(["fr", "en"]), help="Language of the text [default: detected].")
@click.option("--term", "terms", multiple=True, help="A target phrase to find and qualify (repeatable).")
@click.option("--json", "as_json", is_flag=True, help='Print {"entities": [...]}.')
def annotate_command(text: str | None, file: Path | None, lines: Path | None, lang: str | None, terms: tuple[str, ...], as_json: bool) -> None:
    """Show what the NLP understands in a text: entities, codes, negation, hypothesis, family, history."""
    from clinsearch.services.annotate import annotate_text

    if sum(x is not None for x in (text, file, lines)) != 1:
        raise click.UsageError("give exactly one of TEXT, --file F or --lines F")
    try:
        if lines is not None:
            texts = _read(lines).splitlines()
            # a bar (notes/s, time left) on a terminal only: stdout is JSON lines another program may read
            with StageBars(enabled=True, plain=False) as progress:
                progress("nlp", 0, len(texts))
                for number, line in enumerate(texts, start=1):
                    line_text, line_terms = _line(line, lines, number)
                    click.echo(json.dumps({"entities": [e.as_dict() for e in annotate_text(line_text, lang, (*terms, *line_terms))]}, ensure_ascii=False))
                    progress("nlp", number, len(texts))
            return
        entities = annotate_text(text if text is not None else _read(file), lang, terms)
    except ValueError as exc:
        fail(str(exc))
    if as_json:
        echo_json({"entities": [e.as_dict() for e in entities]})
        return
    table = Table(title="entities")
    for column in ("text", "label", "code", "negated", "hypothesis", "family", "history", "section"):
        table.add_column(column, overflow="fold")
    for e in entities:
        table.add_row(e.text, e.label, e.code or "", *("yes" if v else "" for v in (e.negated, e.hypothesis, e.family, e.history)), e.section or "")
    out.print(table)


def _read(path: Path) -> str:
    from clinsearch.services.annotate import read_text

    try:
        return read_text(path)
    except ValueError as exc:
        fail(f"{path}: {exc}")


def _line(line: str, path: Path, number: int) -> tuple[str, list[str]]:
    if not line.lstrip().startswith("{"):
        return line, []
    try:
        value = json.loads(line)
    except json.JSONDecodeError as exc:
        fail(f"{path}: line {number}: malformed JSON ({exc.msg} at column {exc.colno})")
    if not isinstance(value, dict) or not isinstance(value.get("text"), str):
        fail(f"{path}: line {number}: expected a JSON object with a 'text' string")
    terms = value.get("terms") or []
    if not isinstance(terms, list) or not all(isinstance(t, str) for t in terms):
        fail(f"{path}: line {number}: 'terms' must be a list of strings")
    return value["text"], terms
