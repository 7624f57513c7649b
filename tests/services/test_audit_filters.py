"""The audit log's filters (in SQL) and its folded entries (one per editing session of a form),
on a real ``security.sqlite``: the chain still verifies, the budget still counts every call."""

from __future__ import annotations

import datetime as dt

from clinsearch.security.audit import AuditLog, Filter, like_escape


def test_filters_select_in_sql(tmp_path):
    log = AuditLog(tmp_path)
    try:
        log.append("clara", "clinician", "patient", "12")
        log.append("clara", "clinician", "score", "score2 12")
        log.append("remi", "researcher", "patient", "P-00aa")
        log.append("remi", "researcher", "search", "50%_off")
        assert [e["target"] for e in log.entries(10, 0, Filter(user="clara"))] == ["score2 12", "12"]
        assert log.count(Filter(action="patient")) == 2
        about_12 = Filter(subjects=(("patient", "12"), ("score", "% 12")))
        assert {e["action"] for e in log.entries(10, 0, about_12)} == {"patient", "score"}
        assert log.count(Filter(subjects=())) == 0  # a patient that names no entry
        assert log.count(Filter(subjects=(("search", like_escape("50%_off")),))) == 1
        assert log.count(Filter(subjects=(("search", like_escape("50%")),))) == 0  # % is a literal
        today = dt.datetime.now(dt.timezone.utc).date()
        assert log.count(Filter(since=today.isoformat(), until=today.isoformat())) == 4
        assert log.count(Filter(until=(today - dt.timedelta(days=1)).isoformat())) == 0
        assert log.count(Filter(since=(today + dt.timedelta(days=1)).isoformat())) == 0
        assert log.entries(2, 1)[0]["id"] == 3 and log.verify().ok
    finally:
        log.close()


def test_one_session_writes_one_entry_and_every_call_counts(tmp_path):
    log = AuditLog(tmp_path)
    try:
        start = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)
        first, written = log.append_once("s1", "remi", "researcher", "cohort-count", "c", details={"definition": 1})
        assert written
        for _ in range(4):
            assert log.append_once("s1", "remi", "researcher", "cohort-count", "c", details={"definition": 2}) == (first, False)
        other, written = log.append_once("s2", "remi", "researcher", "cohort-count", "c")
        assert written and other != first
        assert log.count() == 2 and log.folded([first, other]) == {first: 4}
        assert log.count_since("remi", ("cohort-count",), start) == 6  # the budget sees all six counts
        assert log.count_since("clara", ("cohort-count",), start) == 0
        assert log.verify().ok
    finally:
        log.close()
