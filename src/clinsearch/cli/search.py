"""``clinsearch search``: the search engine from the command line (audited as a clinician)."""

from __future__ import annotations

from pathlib import Path

import click

from clinsearch.cli import render
from clinsearch.cli.console import echo_json, fail


# no short options at all: a query like -hyp:fièvre must not be read as -h -y -p ... (click reads "-x..." as short options)
@click.command("search", context_settings={"ignore_unknown_options": True, "help_option_names": ["--help"]})
@click.argument("words", nargs=-1, required=True, metavar="QUERY")
@click.option("--patients", is_flag=True, help="Rank patients (the query over each one's whole record) as well as documents.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000), help="Results per page.")
@click.option("--offset", default=0, show_default=True, type=click.IntRange(min=0), help="Results to skip (paging).")
@click.option("--sort", default="relevance", show_default=True, type=click.Choice(["relevance", "date"]),
              help="Order the documents by relevance or by date, newest first.")
@click.option("--json", "as_json", is_flag=True, help='Print {"documents": [...], "patients": [...], "facets": {...}, ...}.')
@click.pass_obj
def search_command(data: Path, words: tuple[str, ...], patients: bool, limit: int, offset: int, sort: str, as_json: bool) -> None:
    """Search notes, imaging studies and articles in medical language.

    \b
    QUERY may be several words and may start with "-": clinsearch search
    EP -neg:TVP and clinsearch search '-neg:fever' both work (what is not an
    option of this command is part of the query; "--" ends the options).

    \b
    Bare words find affirmed mentions about the patient (not "pas de ...",
    "suspicion de ...", nor the family's); synonyms, abbreviations and codes
    are expanded (EP = embolie pulmonaire = I26).
      "exact phrase"   -term (exclude)   a OR b   ( ... )
      neg:  hyp:  fam:  any:   search negated, hypothetical, family, all mentions
      =term            no expansion
      type:CRH  department:cardio  after:2020-01  before:2024  code:E11
      patient:ID  source:notes|imaging|articles
    """
    from clinsearch.services.access import command_line
    from clinsearch.services.errors import QueryError, SearchError, WarehouseError
    from clinsearch.services.search import search

    query = " ".join(words)
    try:
        result = search(command_line(data), query, patients=patients, limit=limit, offset=offset, sort=sort)
    except QueryError as exc:
        fail(f"query: {exc}", code=2)
    except (SearchError, WarehouseError) as exc:
        fail(str(exc))
    if as_json:
        echo_json(result)
        return
    render.search(result)
