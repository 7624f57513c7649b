"""Progress of long work on the command line: a rich bar on a terminal, one plain line per step
otherwise (logs, tests, CI)."""

from __future__ import annotations

import time
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


UNITS = {"nlp": "notes", "index": "documents"}  # what each stage counts
PLAIN_EVERY = 15.0  # seconds between two plain lines when stderr is not a terminal


def rate_line(stage: str, done: int, total: int, seconds: float) -> str:
    """One stage's progress as a line: ``nlp 1,200/5,000 notes · 120 notes/s · 0:32 left``."""
    unit = UNITS.get(stage, "items")
    rate = done / seconds if seconds > 0 else 0.0
    parts = [f"{stage} {done:,}/{total:,} {unit}" if total else f"{stage} {done:,} {unit}"]
    if rate:
        parts.append(f"{rate:,.0f} {unit}/s")
        if total and done < total:
            parts.append(f"{_clock((total - done) / rate)} left")
    return " · ".join(parts)


def summary_line(stage: str, done: int, seconds: float) -> str:
    """What a stage did, when it ends: ``nlp: 5,000 notes in 0:42 (119 notes/s)``."""
    unit = UNITS.get(stage, "items")
    rate = f" ({done / seconds:,.0f} {unit}/s)" if seconds > 0 and done else ""
    return f"{stage}: {done:,} {unit} in {_clock(seconds)}{rate}"


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class StageBars(_Live):
    """``on_progress(stage, done, total)`` of the services' pipeline: one bar per stage (nlp,
    index) with the rate (notes/s) and the time left, on a terminal; without one, a plain line
    every ``PLAIN_EVERY`` seconds (``plain=False``: nothing, for commands whose stdout is read
    by another program). A summary line per stage at the end, either way."""

    def __init__(self, enabled: bool, plain: bool = True, console=None, clock=time.monotonic):
        self.console = console or err
        self.enabled, self.plain, self.clock = enabled, plain, clock
        self.live = enabled and self.console.is_terminal
        self.bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TimeRemainingColumn(), console=self.console, transient=True)
        self.tasks: dict[str, int] = {}
        self.started: dict[str, float] = {}
        self.counts: dict[str, int] = {}
        self.printed: dict[str, float] = {}
        self.last: dict[str, float] = {}  # the time of each stage's latest call: its end

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = self.clock()
        if stage not in self.tasks:
            self.tasks[stage] = self.bar.add_task(stage, total=total or None, rate="") if self.live else -1
            self.started[stage], self.printed[stage] = now, now
            if not self.live and self.plain and stage == "nlp":
                self.console.print("nlp: annotating new or changed notes ...")
        self.counts[stage], self.last[stage] = done, now
        seconds = now - self.started[stage]
        if self.live:
            unit = UNITS.get(stage, "items")
            rate = done / seconds if seconds > 0 and done else 0
            self.bar.update(self.tasks[stage], completed=done, total=total or None, rate=f"{rate:,.0f} {unit}/s" if rate else "")
        elif self.plain and done and now - self.printed[stage] >= PLAIN_EVERY:
            self.printed[stage] = now
            self.console.print(rate_line(stage, done, total, seconds), soft_wrap=True)

    def __exit__(self, *exc: object) -> None:
        super().__exit__(*exc)
        if self.enabled and (self.live or self.plain):
            for stage, done in self.counts.items():
                if done:
                    self.console.print(summary_line(stage, done, self.last[stage] - self.started[stage]), soft_wrap=True)
