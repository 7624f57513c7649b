"""Progress of long work on the command line: a rich bar on a terminal, one plain line per step
otherwise (logs, tests, CI)."""

from __future__ import annotations

from pathlib import Path
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from clinsearch.cli.console import err


class _Live:
    """A rich ``Progress`` (``self.bar``) shown while the block runs, on a terminal only (``self.live``)."""

    bar: Progress
    live: bool

    def __enter__(self):
        if self.live:
            self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live:
            self.bar.stop()


class IngestBar(_Live):
    """The ingest ``Reporter`` (``clinsearch.ingest.run``): one bar over the sources with the
    records read of the current one."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.live = enabled and err.is_terminal
        self.bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("{task.fields[records]:>10,} records"), TimeElapsedColumn(), console=err, transient=True)
        self.task = None

    def start(self, source, index: int, total: int) -> None:
        if not self.enabled:
            return
        if not self.live:
            err.print(f"ingest {index}/{total}: {source.label} ({source.format})", soft_wrap=True)
            return
        if self.task is None:
            self.task = self.bar.add_task("ingest", total=total, records=0)
        self.bar.update(self.task, description=f"ingest {Path(source.label).name[:40]}", records=0)

    def progress(self, records: int) -> None:
        if self.live and self.task is not None:
            self.bar.update(self.task, records=records)

    def done(self, summary) -> None:
        if self.live and self.task is not None:
            self.bar.advance(self.task)


class StageBars(_Live):
    """``on_progress(stage, done, total)`` of the services' pipeline: one bar per stage (nlp,
    index) with the rate and the time left; without a terminal, one line when a stage starts."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.live = enabled and err.is_terminal
        self.bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TimeRemainingColumn(), console=err, transient=True)
        self.tasks: dict[str, int] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        if stage not in self.tasks:
            self.tasks[stage] = self.bar.add_task(stage, total=total or None, rate="") if self.live else -1
            if not self.live and stage == "nlp":
                err.print("nlp: annotating new or changed notes ...")
        if self.live:
            task = self.tasks[stage]
            speed = self.bar.tasks[task].speed if task < len(self.bar.tasks) else None
            self.bar.update(task, completed=done, total=total or None, rate=f"{speed:,.0f}/s" if speed else "")
