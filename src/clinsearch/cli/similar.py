"""``clinsearch similar``: the patients most like one patient, with what they share and what
tells them apart (docs/similar.md)."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape

from clinsearch.cli.console import echo_json, fail, out


@click.command("similar")
@click.argument("person")
@click.option("--limit", type=click.IntRange(1, 100), default=10, show_default=True, help="How many similar patients (researchers: at least 10).")
@click.option("--json", "as_json", is_flag=True, help='Print {"person_id", "patients": [{"person_id", "similarity", "shared": [{"concept", "label", '
              '"kind", "weight", "patients"}], "different": {"only_query": [...], "only_similar": [...]}}], "profile", "compared", "withheld", "note"}.')
@click.option("--lang", type=click.Choice(["fr", "en"]), default="fr", show_default=True, help="Labels' language.")
@click.option("--pseudonymised", is_flag=True, help="As a researcher sees it: pseudonyms in and out, no concept held by fewer than 10 patients, "
              "no list under 10 (PERSON is then a pseudonym).")
@click.pass_obj
def similar_command(data: Path, person: str, limit: int, as_json: bool, lang: str, pseudonymised: bool) -> None:
    """Patients like this one: the most similar patients of the warehouse by their
    concepts (coded conditions, drugs, procedures and affirmed mentions of the notes),
    weighted by rarity (TF-IDF, cosine), each with the concepts both share and those
    that tell them apart.

    \b
    Similar:  clinsearch --data DIR similar 42 --limit 5
    JSON:     clinsearch --data DIR similar 42 --json
    PERSON is a person_id (a pseudonym with --pseudonymised).
    """
    from clinsearch.services import similar as service
    from clinsearch.services.access import command_line
    from clinsearch.services.errors import AccessDenied, NotFound, WarehouseError

    request = command_line(data, "researcher" if pseudonymised else "clinician")
    try:
        found = service.similar(request, person, limit, lang)
    except (NotFound, AccessDenied, WarehouseError) as exc:
        fail(str(exc))
    if as_json:
        echo_json(found)
        return
    _print(found)


def _names(features: list[dict]) -> str:
    return " · ".join(escape(f["label"]) for f in features) or "—"


def _print(found: dict) -> None:
    out.print(f"[bold]{escape(str(found['person_id']))}[/bold]: {_names(found['profile'])}", soft_wrap=True)
    if found["note"]:
        out.print(escape(found["note"]))
    for rank, p in enumerate(found["patients"], start=1):
        out.print(f"\n{rank}. [bold]{escape(str(p['person_id']))}[/bold]  similarity {p['similarity']:.3f}")
        out.print(f"   shared:        {_names(p['shared'])}", soft_wrap=True)
        out.print(f"   only this one: {_names(p['different']['only_query'])}", soft_wrap=True)
        out.print(f"   only the other: {_names(p['different']['only_similar'])}", soft_wrap=True)
        if p.get("withheld"):
            out.print(f"   {p['withheld']} rare feature(s) withheld (held by fewer than {found['min_count']} patients)")
    if found["withheld"]:
        out.print(f"\n{found['withheld']} rare feature(s) of this patient withheld (held by fewer than {found['min_count']} patients)")
