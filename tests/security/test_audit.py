"""The audit log is append-only and hash-chained: any edit or deletion is detected."""

from __future__ import annotations

import sqlite3

from clinsearch.security.audit import AuditLog
from tests.helpers import run_cli


def filled(data, n: int = 5) -> AuditLog:
    log = AuditLog(data)
    for i in range(n):
        log.append("alice", "clinician", "search", f"query {i}", purpose="soins", details={"i": i})
    return log


def tamper(data, sql: str, params=()) -> None:
    con = sqlite3.connect(data / "security.sqlite")
    con.execute(sql, params)
    con.commit()
    con.close()


def test_an_untouched_log_verifies(data):
    log = filled(data)
    result = log.verify()
    assert result.ok and result.entries == 5 and result.problems == []
    assert [e["target"] for e in log.entries(2)] == ["query 4", "query 3"]
    assert log.entries(1)[0]["previous"] == log.entries(2)[1]["hash"]


def test_an_edited_entry_is_detected(data):
    filled(data).close()
    tamper(data, "UPDATE audit SET target = 'nothing to see' WHERE id = 3")
    result = AuditLog(data).verify()
    assert not result.ok and "entry 3: content changed after it was written" in result.problems


def test_an_edit_with_a_recomputed_hash_still_breaks_the_chain(data):
    from clinsearch.security.audit import entry_hash

    log = filled(data)
    entry = dict(log.entries(5)[-3])  # id 3
    entry["username"] = "mallory"
    tamper(data, "UPDATE audit SET username = 'mallory', hash = ? WHERE id = 3", [entry_hash(entry)])
    assert "entry 4: does not follow the entry before it (an entry was deleted or changed)" in AuditLog(data).verify().problems


def test_deleted_entries_are_detected_in_the_middle_and_at_the_end(data):
    filled(data).close()
    tamper(data, "DELETE FROM audit WHERE id = 2")
    problems = AuditLog(data).verify().problems
    assert "entry 2 deleted" in problems
    tamper(data, "DELETE FROM audit WHERE id >= 4")
    assert any("entries deleted at the end" in p for p in AuditLog(data).verify().problems)


def test_audit_verify_command(data):
    filled(data).close()
    result = run_cli("--data", data, "audit", "verify")
    assert result.exit_code == 0 and "5 entries" in result.stdout
    tamper(data, "UPDATE audit SET purpose = 'x' WHERE id = 1")
    result = run_cli("--data", data, "audit", "verify")
    assert result.exit_code == 1 and "entry 1: content changed" in result.stderr


def test_an_anchor_outside_the_data_folder_catches_a_deleted_or_restored_log(data, tmp_path, monkeypatch):
    import shutil

    anchor = tmp_path / "dpo" / "audit.anchor"
    anchor.parent.mkdir()
    monkeypatch.setenv("CLINSEARCH_AUDIT_ANCHOR", str(anchor))
    filled(data, 3).close()
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("security.sqlite", "audit.head"):
        shutil.copy(data / name, copy / name)
    filled(data, 2).close()
    assert AuditLog(data).verify().ok and AuditLog(data).verify().anchored
    for name in ("security.sqlite", "audit.head"):  # an older copy of both put back
        shutil.copy(copy / name, data / name)
    (data / "security.sqlite-wal").unlink(missing_ok=True)
    restored = AuditLog(data).verify()
    assert not restored.ok and any("older copy restored" in p for p in restored.problems)
    monkeypatch.delenv("CLINSEARCH_AUDIT_ANCHOR")
    assert AuditLog(data).verify().ok  # without the anchor, the head alone cannot tell


def test_a_crash_between_the_commit_and_the_head_is_no_false_alarm(data):
    log = filled(data, 3)
    head = (data / "audit.head").read_text()
    log.append("alice", "clinician", "search", "one more")
    (data / "audit.head").write_text(head)  # as if the process died before writing its head
    assert AuditLog(data).verify().ok
