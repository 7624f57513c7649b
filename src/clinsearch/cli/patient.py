"""``clinsearch patient``: a patient's summary on the command line -- problems with their
sources, treatments, labs, scores -- or its drafted letter as a file."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape

from clinsearch.cli.console import echo_json, fail, out


@click.command("patient")
@click.argument("person")
@click.option("--json", "as_json", is_flag=True, help='Print {"person", "problems": [{"label", "code", "vocabulary", "status", "first_date", "last_date", '
              '"citations": [{"note_id" | "table", "row", "start", "end", "text"}]}], "family_history", "treatments", "allergies", "procedures", '
              '"imaging", "labs", "scores", "timeline", ...}.')
@click.option("--letter", "letter_kind", type=click.Choice(["discharge", "referral"]), is_flag=False, flag_value="discharge", default=None,
              help="Draft a letter (discharge [default] or referral) from the summary, every sentence with its sources.")
@click.option("--format", "form", type=click.Choice(["docx", "html"]), default="docx", show_default=True, help="With --letter: the file's format.")
@click.option("--output", "output", type=click.Path(dir_okay=False, path_type=Path), help="With --letter: write the file there [default: ./courrier-PERSON.docx].")
@click.option("--lang", type=click.Choice(["fr", "en"]), default=None, help="Labels' language [default: French; a letter: the record's language].")
@click.option("--pseudonymised", is_flag=True, help="As a researcher sees it: pseudonym, shifted dates, pseudonymised quotes (PERSON is then a pseudonym).")
@click.pass_obj
def patient_command(data: Path, person: str, as_json: bool, letter_kind: str | None, form: str, output: Path | None, lang: str | None, pseudonymised: bool) -> None:
    """A patient's summary: problem list (coded and written, each line with the
    sentences and rows it comes from), family history, negated and hypothetical
    mentions kept apart, treatments, allergies, procedures, imaging, labs by panel
    with reference ranges, and the scores that apply.

    \b
    Summary:  clinsearch --data DIR patient 42
    JSON:     clinsearch --data DIR patient 42 --json
    Letter:   clinsearch --data DIR patient 42 --letter --output sortie.docx
              clinsearch --data DIR patient 42 --letter referral --format html
    PERSON is a person_id or an IPP (a pseudonym with --pseudonymised).
    """
    from clinsearch.files import atomic
    from clinsearch.services import summary as summaries
    from clinsearch.services.access import command_line
    from clinsearch.files import OutputError
    from clinsearch.services.errors import AccessDenied, NotFound, WarehouseError

    request = command_line(data, "researcher" if pseudonymised else "clinician")
    try:
        if letter_kind:
            made = summaries.letter_file(request, person, form, letter_kind, lang)
            target = output or Path(made.filename)
            atomic(target, lambda tmp: tmp.write_bytes(made.content))
            out.print(f"{escape(made.letter['title'])}: {sum(len(s['sentences']) for s in made.letter['sections'])} sentences, "
                      f"{len(made.letter['sources'])} sources -> {escape(str(target))}")
            return
        found = summaries.summary(request, person, lang or "fr")
    except (NotFound, AccessDenied) as exc:
        fail(str(exc))
    except (WarehouseError, OutputError) as exc:
        fail(str(exc))
    if as_json:
        echo_json(found)
        return
    _print(found)


def _print(s: dict) -> None:
    p = s["person"]
    name = " ".join(x for x in (p.get("family_name"), p.get("given_name")) if x)
    out.print(f"[bold]{escape(str(p['person_id']))}[/bold] {escape(name)} · {p.get('sex') or '?'} · {p.get('age') if p.get('age') is not None else '?'} ans"
              + (f" · IPP {escape(p['ipp'])}" if p.get("ipp") else ""))
    for title, name in (("Problèmes", "problems"), ("Antécédents familiaux", "family_history"), ("Mentions niées", "negated"),
                        ("Hypothèses", "hypothetical"), ("Traitements", "treatments"), ("Allergies", "allergies"), ("Actes", "procedures")):
        lines = s[name]
        if not lines:
            continue
        out.print(f"\n[bold]{title}[/bold]")
        for line in lines:
            status = escape(f" [{line['status']}]") if line.get("status") else ""
            dates = f" {line.get('first_date') or ''} → {line.get('last_date') or ''}" if line.get("first_date") else ""
            out.print(f"  {escape(line['label'])} ({escape(str(line.get('code') or ''))}){status}{dates} · {len(line['citations'])} source(s)")
            for c in line["citations"][:2]:
                where = f"note {c['note_id']} [{c['start']}:{c['end']}]" if c.get("note_id") else f"{c['table']} {c['row']}"
                out.print(f"      {where}: {escape(c['text'])}", soft_wrap=True)
    if s["labs"]:
        out.print("\n[bold]Biologie et constantes[/bold]")
        for panel in s["labs"]:
            out.print(f"  {escape(panel['label'])}")
            for t in panel["tests"]:
                rng = f" ({t['low'] if t['low'] is not None else ''}–{t['high'] if t['high'] is not None else ''})" if t["range_source"] else ""
                flag = {"high": " ↑", "low": " ↓"}.get(t["flag"], "")
                out.print(f"    {escape(t['label'])}: {t['display']} {escape(t['unit'] or '')}{rng}{flag} · {t['date']}")
    for sc in s["scores"]:
        out.print(f"  score {sc['score']}: {sc.get('value') if sc.get('value') is not None else '—'} {sc.get('unit') or ''} ({sc['status']})")
