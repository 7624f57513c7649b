"""Backup and restore of a whole data directory: what comes back answers as the original did, a
backup taken while the warehouse is read and audited is consistent, and a damaged backup or an
occupied target is refused with nothing written."""

from __future__ import annotations

import shutil
import threading

import pytest

from clinsearch.config import secret_key
from clinsearch.search.engine import search
from clinsearch.security.audit import AuditLog
from clinsearch.services.backup import MANIFEST, BackupError, backup, restore
from clinsearch.warehouse.schema import SCHEMA_VERSION
from clinsearch.warehouse.store import open_store
from tests.conftest import ON_POSTGRES, new_postgres_warehouse
from tests.helpers import counts, run_cli
from tests.warehouse.test_upgrade import old  # noqa: F401  (the version-1 warehouse fixture)


@pytest.fixture(scope="module")
def copy_of_demo(demo, tmp_path_factory, request):
    """A backup of the demo and the data directory restored from it (on the PostgreSQL run, onto
    a new schema of the server)."""
    folder = tmp_path_factory.mktemp("backup")
    result = run_cli("--data", demo, "backup", folder / "b")
    assert result.exit_code == 0, result.stderr
    with pytest.MonkeyPatch.context() as patch:
        if (demo / "warehouse.url").exists():
            patch.setenv("CLINSEARCH_WAREHOUSE", new_postgres_warehouse(request.getfixturevalue("postgres_server")))
        restored = run_cli("--data", folder / "restored", "restore", folder / "b")
    assert restored.exit_code == 0, restored.stderr
    return folder / "b", folder / "restored"


def test_the_restored_directory_answers_as_the_original(demo, copy_of_demo):
    _, restored = copy_of_demo
    assert counts(restored) == counts(demo)
    for query in ("embolie pulmonaire", "neg:AVC", "code:I10"):
        before, after = search(demo, query, patients=True), search(restored, query, patients=True)
        assert (after.total, after.patients_total) == (before.total, before.patients_total) and after.total > 0
        assert [d.note_id for d in after.documents] == [d.note_id for d in before.documents]
    assert secret_key(restored) == secret_key(demo)  # same pseudonyms and date shifts
    log = AuditLog(restored)
    assert log.verify().ok and log.verify().entries == AuditLog(demo).verify().entries


def test_a_backup_lists_every_file_with_its_checksum_and_is_private(copy_of_demo):
    folder, _ = copy_of_demo
    manifest = (folder / MANIFEST).read_text("utf-8")
    assert '"schema_version": %d' % SCHEMA_VERSION in manifest
    warehouse = "warehouse/person.pgcopy" if ON_POSTGRES else "warehouse.duckdb"
    for name in (warehouse, "security.sqlite", "secret.key", "index/clinsearch.json"):
        assert f'"{name}"' in manifest and (folder / name).is_file()
    assert folder.stat().st_mode & 0o077 == 0


def test_a_backup_taken_while_audited_and_read_is_consistent(data, tmp_path, fresh_warehouse):
    (tmp_path / "omop").mkdir()
    (tmp_path / "omop" / "person.csv").write_text("person_id,year_of_birth\n1,1950\n2,1960\n")
    assert run_cli("--data", data, "ingest", tmp_path / "omop").exit_code == 0
    log = AuditLog(data)
    log.append("alice", "clinician", "search", "EP", purpose="soins")
    stop = threading.Event()

    def audit():
        writer = AuditLog(data)
        while not stop.is_set():
            writer.append("alice", "clinician", "patient", "1", purpose="soins")

    def read():
        while not stop.is_set():
            with open_store(data, read_only=True) as store:
                assert store.count("person") == 2

    workers = [threading.Thread(target=audit), threading.Thread(target=read)]
    for worker in workers:
        worker.start()
    try:
        for attempt in range(3):
            backup(data, tmp_path / f"b{attempt}")
    finally:
        stop.set()
        for worker in workers:
            worker.join()
    for attempt in range(3):
        fresh_warehouse()  # on a server, each restore goes to a schema of its own
        restore(tmp_path / f"b{attempt}", tmp_path / f"r{attempt}")
        assert counts(tmp_path / f"r{attempt}")["person"] == 2
        assert (tmp_path / f"r{attempt}" / "audit.head").is_file()
        verification = AuditLog(tmp_path / f"r{attempt}").verify()
        assert verification.ok, verification.problems
        assert verification.entries >= 1
    assert AuditLog(data).verify().ok


def test_a_damaged_backup_is_refused_and_nothing_is_written(copy_of_demo, tmp_path):
    folder, _ = copy_of_demo
    damaged = tmp_path / "damaged"
    shutil.copytree(folder, damaged)
    with open(damaged / "security.sqlite", "r+b") as handle:
        handle.seek(200)
        byte = handle.read(1)
        handle.seek(200)
        handle.write(bytes([byte[0] ^ 0xFF]))
    result = run_cli("--data", tmp_path / "target", "restore", damaged)
    assert result.exit_code == 1 and "security.sqlite does not match the manifest" in result.stderr
    assert not (tmp_path / "target").exists()
    (damaged / "index" / "clinsearch.json").unlink()
    with pytest.raises(BackupError, match="index/clinsearch.json is missing"):
        restore(damaged, tmp_path / "target")


def test_occupied_targets_are_refused(copy_of_demo, demo, tmp_path):
    folder, restored = copy_of_demo
    with pytest.raises(BackupError, match="already holds data"):
        restore(folder, restored)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    result = run_cli("--data", demo, "backup", tmp_path / "full")
    assert result.exit_code == 1 and "exists and is not empty" in result.stderr
    assert run_cli("--data", tmp_path / "nothing", "backup", tmp_path / "b").exit_code == 1


def test_an_older_warehouse_is_backed_up_before_its_upgrade(old, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.delenv("CLINSEARCH_WAREHOUSE", raising=False)  # a version-1 warehouse is an embedded file
    backup(old, tmp_path / "b")
    restore(tmp_path / "b", tmp_path / "r")
    with pytest.raises(Exception, match="clinsearch upgrade"):
        open_store(tmp_path / "r", read_only=True)
    assert run_cli("--data", tmp_path / "r", "upgrade").exit_code == 0
    assert counts(tmp_path / "r")["person"] == 2


@pytest.mark.postgresql_only
def test_a_servers_backup_goes_only_to_an_empty_warehouse_on_a_named_server(copy_of_demo, demo, tmp_path, monkeypatch):
    folder, restored = copy_of_demo
    manifest = (folder / MANIFEST).read_text("utf-8")
    assert '"warehouse": "postgresql"' in manifest and (demo / "warehouse.url").read_text("utf-8") not in manifest
    assert not (folder / "warehouse.url").exists()  # the server's URL (and password) stays out of backups
    monkeypatch.delenv("CLINSEARCH_WAREHOUSE")
    with pytest.raises(BackupError, match="name the server to restore it to"):
        restore(folder, tmp_path / "nowhere")
    occupied = (restored / "warehouse.url").read_text("utf-8")
    result = run_cli("--data", tmp_path / "again", "--warehouse", occupied, "restore", folder)
    assert result.exit_code == 1 and "already holds a warehouse" in result.stderr
    assert not (tmp_path / "again" / "index").exists()
