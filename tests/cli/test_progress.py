"""The NLP's progress on the command line: a bar with notes/s and the time left on a terminal,
plain lines now and then otherwise (or nothing), and a summary at the end -- the renderer called
directly, on a fake terminal and a fake clock."""

from __future__ import annotations

import io

from rich.console import Console

from clinsearch.cli import progress
from clinsearch.cli.progress import StageBars, rate_line, summary_line


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_line_says_the_rate_and_the_time_left():
    assert rate_line("nlp", 1200, 5000, 10.0) == "nlp 1,200/5,000 notes · 120 notes/s · 0:32 left"
    assert rate_line("nlp", 0, 5000, 0.0) == "nlp 0/5,000 notes"
    assert rate_line("index", 5000, 5000, 4.0) == "index 5,000/5,000 documents · 1,250 documents/s"
    assert summary_line("nlp", 5000, 42.0) == "nlp: 5,000 notes in 0:42 (119 notes/s)"
    assert summary_line("nlp", 10, 3725.0).startswith("nlp: 10 notes in 1:02:05")


def test_on_a_terminal_a_bar_with_notes_per_second_then_a_summary():
    screen, clock = io.StringIO(), Clock()
    console = Console(file=screen, force_terminal=True, width=120, highlight=False)  # as cli.console.err
    with StageBars(enabled=True, console=console, clock=clock) as bars:
        assert bars.live
        bars("nlp", 0, 5000)
        clock.now += 10
        bars("nlp", 1000, 5000)
        assert bars.bar.tasks[0].fields["rate"] == "100 notes/s" and bars.bar.tasks[0].completed == 1000
        clock.now += 40
        bars("nlp", 5000, 5000)
    assert "nlp: 5,000 notes in 0:50 (100 notes/s)" in screen.getvalue()


def test_without_a_terminal_a_plain_line_now_and_then(monkeypatch):
    screen, clock = io.StringIO(), Clock()
    console = Console(file=screen, force_terminal=False, width=200)
    with StageBars(enabled=True, console=console, clock=clock) as bars:
        bars("nlp", 0, 3000)
        for done in range(100, 3001, 100):
            clock.now += 1
            bars("nlp", done, 3000)
    lines = screen.getvalue().splitlines()
    assert lines[0] == "nlp: annotating new or changed notes ..."
    periodic = [line for line in lines if " left" in line or "/s" in line and "·" in line]
    assert len(periodic) == 30 // int(progress.PLAIN_EVERY)  # every 15 s of 30
    assert periodic[0] == "nlp 1,500/3,000 notes · 100 notes/s · 0:15 left"
    assert lines[-1] == "nlp: 3,000 notes in 0:30 (100 notes/s)"
    assert "\x1b[" not in screen.getvalue()  # no terminal codes in a log


def test_quiet_commands_print_nothing_without_a_terminal():
    screen = io.StringIO()
    with StageBars(enabled=True, plain=False, console=Console(file=screen, force_terminal=False), clock=Clock()) as bars:
        bars("nlp", 0, 2)
        bars("nlp", 2, 2)
    assert screen.getvalue() == ""
