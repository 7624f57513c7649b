"""How results read on a terminal: the tables and lines each command prints (``--json`` prints
the services' own objects instead)."""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape
from rich.table import Table

from clinsearch.cli.console import out

CONTEXT_STYLES = {"affirmed": "green", "negated": "red", "hypothetical": "yellow", "family": "magenta"}


def ingest_summary(result) -> None:
    table = Table(title="ingest summary")
    for column in ("source", "format", "status", "read", "loaded", "skipped", "quarantined"):
        table.add_column(column, justify="right" if column in ("read", "loaded", "skipped", "quarantined") else "left", overflow="fold")
    for s in result.summaries:
        style = {"failed": "red", "already loaded": "dim"}.get(s.status, "yellow" if s.quarantined else "")
        table.add_row(Path(s.source).name, s.format, s.status, f"{s.read:,}", f"{s.loaded:,}", f"{s.skipped:,}", f"{s.quarantined:,}", style=style)
    for p in result.problems:
        table.add_row(p.path.name, "?", "failed", "0", "0", "0", "0", style="red")
    totals = result.totals()
    table.add_section()
    table.add_row(
        f"[bold]{len(result.summaries)} source(s), {totals['already_loaded']} already loaded, {totals['failed']} failed[/bold]",
        "", "", f"{totals['read']:,}", f"{totals['loaded']:,}", f"{totals['skipped']:,}", f"{totals['quarantined']:,}",
    )
    out.print(table)
    skipped: dict[str, int] = {}
    for s in result.summaries:
        for reason, count in s.skipped_reasons.items():
            skipped[reason] = skipped.get(reason, 0) + count
    if skipped:
        out.print("skipped (valid, not mapped): " + ", ".join(f"{reason} x{count}" for reason, count in sorted(skipped.items())))
    if result.derived:
        out.print("derived (OHDSI conventions): " + ", ".join(f"{table} {count:,}" for table, count in result.derived.items() if table != "cdm_source"))


def nlp_summary(summary) -> None:
    skipped = ", ".join(f"{reason}: {count}" for reason, count in summary.skipped.items())
    out.print(f"nlp: {summary.processed:,} note(s) annotated, {summary.entities:,} entities written to note_nlp"
              + (f", skipped {skipped}" if skipped else "") + f" ({summary.seconds:.1f} s)")


def index_summary(summary) -> None:
    what = "rebuilt" if summary.rebuilt else "updated"
    out.print(f"index: {what}, {summary.added:,} document(s) indexed, {summary.removed:,} removed, {summary.documents:,} in the index ({summary.seconds:.1f} s)")


def run(run) -> None:
    """A pipeline run (services.pipeline.Run): the load, the NLP, the index."""
    if run.ingest is not None:
        ingest_summary(run.ingest)
    if run.nlp:
        nlp_summary(run.nlp)
    index_summary(run.index)


def stats(data: Path, counts: dict, reasons: list[dict]) -> None:
    table = Table(title=f"clinsearch warehouse {data}")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, count in counts["tables"].items():
        table.add_row(name, f"{count:,}")
    table.add_row("[bold]quarantine[/bold]", f"{counts['quarantine']:,}")
    out.print(table)
    if counts.get("derived_stale"):
        out.print("[yellow]observation_period, eras and cdm_source lag behind the last load[/yellow] (a load stopped before computing them): the next 'clinsearch ingest' computes them")
    nlp = counts.get("nlp", {})
    if nlp.get("waiting"):
        out.print(f"[yellow]nlp: {nlp['waiting']:,} note(s) wait for the NLP[/yellow] (searched as unqualified text until then): run 'clinsearch nlp'")
    if nlp.get("outdated"):
        out.print(f"nlp: {nlp['outdated']:,} note(s) annotated by an earlier NLP version: 'clinsearch nlp --reprocess' annotates them again")
    if reasons:
        q = Table(title="quarantine (most frequent reasons)")
        for column in ("source_file", "reason", "records", "first_record"):
            q.add_column(column, overflow="fold")
        for row in reasons:
            q.add_row(row["source_file"], row["reason"], str(row["records"]), row["first_record"])
        out.print(q)


def search(result: dict) -> None:
    documents = result["documents"]
    shown = f"{result['offset'] + 1}-{result['offset'] + len(documents)}" if documents else "0"
    total = result["total"]
    out.print(f"[bold]{total:,}[/bold] document(s) for [bold]{escape(result['query'])}[/bold] (showing {shown})" if isinstance(total, int)
              else f"[bold]{total}[/bold] document(s) for [bold]{escape(result['query'])}[/bold] (showing {shown})")
    for e in result["expansions"]:
        out.print(f"  [dim]{escape(e['query'])} = {escape(', '.join(e['terms'] + e['codes']))}[/dim]", soft_wrap=True)
    for rank, d in enumerate(documents, start=result["offset"] + 1):
        who = f"patient {d['person_id']}" if d["person_id"] is not None else d.get("department") or ""
        out.print(f"\n{rank}. [bold]{escape(d['title'])}[/bold]  {d['date'] or ''}  {escape(d['type'])}  {escape(who)}  "
                  f"[dim]{d['source']} {d['id']}  score {d['score']:.2f}[/dim]")
        for snip in d["snippets"]:
            style = CONTEXT_STYLES.get(snip["context"], "white")
            out.print(f"   [{style}]{snip['context']:>12}[/{style}]  " + highlighted(snip["text"], snip["highlights"]), soft_wrap=True)
    if result.get("patients") is not None:
        count = result["patients_total"]
        table = Table(title=f"{count:,} patient(s)" if isinstance(count, int) else f"{count} patient(s)")
        for column in ("person_id", "documents", "coded data", "last document"):
            table.add_column(column, justify="right")
        for p in result["patients"]:
            table.add_row(str(p["person_id"]), str(p["hits"]), "yes" if p["coded"] else "", str(p["last_date"] or ""))
        out.print(table)
        for p in result["patients"]:
            out.print(f"  patient {escape(str(p['person_id']))}: {escape(why(p))}", soft_wrap=True)
        out.print("[dim]patients: every term anywhere in the record, an excluded term in none of its documents; "
                  "documents: the query within each document (see docs/search.md)[/dim]", soft_wrap=True)
    for name, values in result["facets"].items():
        if values:
            out.print(f"[dim]{name}: " + escape(", ".join(f"{k} {v}" for k, v in values.items())) + "[/dim]", soft_wrap=True)


def why(patient: dict) -> str:
    """A patient row's reasons: ``EP: notes, coded; not neg:TVP; CRH 2021-03-02 (note 12)``."""
    parts = []
    for reason in patient.get("why", []):
        if reason["excluded"]:
            parts.append(f"not {reason['term']}")
        else:
            where = [w for w, yes in (("documents", reason["in_documents"]), ("coded data", reason["in_coded_data"])) if yes]
            parts.append(f"{reason['term']}: {', '.join(where) or '-'}")
    for d in patient.get("documents", []):
        parts.append(f"{d['title']} {d['date'] or ''} ({'note ' + str(d['note_id']) if d['note_id'] else d['source'] + ' ' + str(d['id'])})".replace("  ", " "))
    return "; ".join(parts)


def highlighted(text: str, highlights) -> str:
    """``text`` with its highlights marked; overlapping or nested highlights (``diabète`` inside
    ``diabète de type 2``) are marked once, as their union.

    >>> highlighted("diabetes mellitus", [(0, 17), (0, 8)])
    '[bold reverse]diabetes mellitus[/bold reverse]'
    """
    merged: list[list[int]] = []
    for start, end in sorted((max(0, s), min(len(text), e)) for s, e in highlights):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        elif start < end:
            merged.append([start, end])
    parts, at = [], 0
    for start, end in merged:
        parts.append(escape(text[at:start]) + "[bold reverse]" + escape(text[start:end]) + "[/bold reverse]")
        at = end
    return "".join(parts) + escape(text[at:])
