"""A second PostgreSQL cluster, a streaming hot standby of the test server, for the read-replica tests.

:func:`make_replica` copies the test server (127.0.0.1, trust auth, as ``XINCHENG_TEST_POSTGIS_URL``
names it) with ``pg_basebackup -R`` into a data directory under /tmp, through a physical replication
slot of its own (so the primary keeps the WAL a stopped replica still needs), and starts it with
``pg_ctl`` on a free loopback port. The primary must allow replication connections from 127.0.0.1;
when it does not, a ``host replication all 127.0.0.1/32 trust`` line is added to its ``pg_hba.conf``
(test machines only, as scripts/ensure-postgis.sh allows trust logins) and the configuration reloaded.
Running as root, the cluster belongs to the ``postgres`` OS user (the server refuses to run as root).

:meth:`Replica.remove` stops the cluster, drops its slot and deletes its directory. Every step that
cannot be done raises :class:`ReplicaUnavailable` with the reason, which the tests turn into a skip.

By hand: ``python -m tests.replica_cluster`` makes one, prints its URL and removes it on Enter.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from geo.store.store import normalise_url

SLOT_PREFIX = "xincheng_replica_test_"
_AT_LEAST_PRIMARY = ("max_connections", "max_worker_processes", "max_wal_senders", "max_prepared_transactions",
                     "max_locks_per_transaction")
_PG_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


class ReplicaUnavailable(RuntimeError):
    """The replica cluster could not be made (no binaries, no replication allowed, no postgres user ...)."""


def _binary(name: str, major: str) -> str:
    """Return the path of PostgreSQL program ``name`` of the server's major version."""
    for folder in (Path(f"/usr/lib/postgresql/{major}/bin"), *_PG_BIN_DIRS):
        if (folder / name).exists():
            return str(folder / name)
    found = shutil.which(name)
    if not found:
        raise ReplicaUnavailable(f"{name} not found (PostgreSQL {major} server programs)")
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_owner(args: Sequence[str], *, owner: str | None, timeout_s: float) -> subprocess.CompletedProcess[str]:
    """Run ``args`` (as ``owner`` through ``su`` when running as root) and return how it ended."""
    command = list(args) if owner is None else ["su", owner, "-s", "/bin/sh", "-c", shlex.join(args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, check=False)


def _run_as_owner(args: Sequence[str], *, owner: str | None, timeout_s: float = 120.0) -> str:
    """Run ``args`` (as ``owner`` when running as root); return stdout or raise :class:`ReplicaUnavailable`."""
    done = _as_owner(args, owner=owner, timeout_s=timeout_s)
    if done.returncode != 0:
        raise ReplicaUnavailable(f"{args[0].rsplit('/', 1)[-1]} failed: {(done.stderr or done.stdout).strip()[-500:]}")
    return done.stdout


@dataclass
class Replica:
    """A running (or stopped) hot standby of the test server."""

    primary_url: str  # a SQLAlchemy URL of the primary (psycopg driver)
    data_dir: Path
    port: int
    slot: str
    pg_ctl: str
    owner: str | None  # the OS user the cluster runs as when we are root

    def url(self, database: str) -> str:
        """Return the URL of ``database`` on the replica (same user as the primary's URL)."""
        return sa.make_url(self.primary_url).set(host="127.0.0.1", port=self.port,
                                                 database=database).render_as_string(hide_password=False)

    def _ctl(self, *args: str, timeout_s: float = 60.0) -> None:
        _run_as_owner([self.pg_ctl, "-D", str(self.data_dir), "-w", "-t", "30", *args], owner=self.owner,
                      timeout_s=timeout_s)

    def start(self) -> None:
        """Start the cluster and wait until it accepts connections (a failure carries its log's end)."""
        log = self.data_dir / "replica.log"
        try:
            self._ctl("-l", str(log), "start")
        except ReplicaUnavailable as exc:
            tail = log.read_text(errors="replace")[-800:] if log.exists() else ""
            raise ReplicaUnavailable(f"{exc}\n{tail}") from None

    def stop(self, *, mode: str = "fast") -> None:
        """Stop the cluster (``fast``: open connections are cut, as when a replica goes down)."""
        self._ctl("-m", mode, "stop")

    def running(self) -> bool:
        """Return whether the cluster's postmaster runs."""
        return _as_owner([self.pg_ctl, "-D", str(self.data_dir), "status"], owner=self.owner,
                         timeout_s=30).returncode == 0

    def remove(self) -> None:
        """Stop the cluster, drop its replication slot on the primary and delete its directory."""
        with contextlib.suppress(ReplicaUnavailable, subprocess.TimeoutExpired):
            if self.running():
                self.stop(mode="immediate")
        _drop_slot(self.primary_url, self.slot)
        shutil.rmtree(self.data_dir, ignore_errors=True)
        shutil.rmtree(_tablespaces_folder(self.data_dir), ignore_errors=True)


def _tablespaces_folder(data_dir: Path) -> Path:
    """Where the copy keeps the primary's tablespaces that are outside its data folder (beside the replica's)."""
    return data_dir.with_name(data_dir.name + "-tablespaces")


def _drop_slot(primary_url: str, slot: str) -> None:
    engine = sa.create_engine(primary_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            for _ in range(50):  # a slot is dropped once its walsender has gone
                active = conn.execute(sa.text("SELECT active FROM pg_replication_slots WHERE slot_name = :s"),
                                      {"s": slot}).scalar()
                if active is None:
                    return
                if not active:
                    conn.execute(sa.text("SELECT pg_drop_replication_slot(:s)"), {"s": slot})
                    return
                time.sleep(0.1)
    finally:
        engine.dispose()


def _create_slot(primary_url: str, slot: str) -> None:
    engine = sa.create_engine(primary_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT pg_create_physical_replication_slot(:s, true)"), {"s": slot})
    finally:
        engine.dispose()


def _drop_leftover_slots(conn: sa.Connection) -> None:
    """Drop inactive slots of earlier runs whose process is gone (a slot kept forever keeps WAL forever)."""
    for name, in conn.execute(sa.text("SELECT slot_name FROM pg_replication_slots WHERE NOT active "
                                      "AND slot_name LIKE :p"), {"p": SLOT_PREFIX + "%"}):
        pid = name[len(SLOT_PREFIX):].split("_")[0]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            conn.execute(sa.text("SELECT pg_drop_replication_slot(:s)"), {"s": name})


def _allow_replication(conn: sa.Connection) -> None:
    """Make sure the primary lets 127.0.0.1 connect for replication (adds a trust line when it cannot)."""
    rules = conn.execute(sa.text("SELECT 1 FROM pg_hba_file_rules WHERE 'replication' = ANY(database) "
                                 "AND type = 'host' AND auth_method = 'trust' "
                                 "AND (address = '127.0.0.1' OR address = 'all') LIMIT 1")).first()
    if rules is not None:
        return
    hba = Path(str(conn.execute(sa.text("SHOW hba_file")).scalar()))
    try:
        original = hba.read_text()
        hba.write_text("host replication all 127.0.0.1/32 trust\n" + original)
    except OSError as exc:
        raise ReplicaUnavailable(f"cannot allow replication in {hba}: {exc}") from None
    conn.execute(sa.text("SELECT pg_reload_conf()"))
    time.sleep(0.5)


def make_replica(primary_url: str) -> Replica:
    """Copy the server of ``primary_url`` into a new hot standby on a free port, start it and return it."""
    primary_url = normalise_url(primary_url)
    parsed = sa.make_url(primary_url)
    if parsed.host not in ("127.0.0.1", "localhost"):
        raise ReplicaUnavailable(f"the test server is not on this machine ({parsed.host})")
    engine = sa.create_engine(primary_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            if conn.execute(sa.text("SELECT pg_is_in_recovery()")).scalar():
                raise ReplicaUnavailable("the test server is itself a standby")
            if conn.execute(sa.text("SHOW wal_level")).scalar() == "minimal":
                raise ReplicaUnavailable("the test server has wal_level = minimal (no streaming replication)")
            major = str(conn.execute(sa.text("SHOW server_version_num")).scalar())[:2]
            # A hot standby needs these at least as high as its primary's.
            at_least = {name: conn.execute(sa.text(f"SHOW {name}")).scalar() for name in _AT_LEAST_PRIMARY}
            # Tablespaces outside the data folder (a test run's in memory, tests/scratch_tablespace.py): the copy
            # puts each in a folder of its own, not on top of the primary's.
            tablespaces = conn.execute(sa.text("SELECT pg_tablespace_location(oid) FROM pg_tablespace "
                                               "WHERE pg_tablespace_location(oid) <> ''")).scalars().all()
            _drop_leftover_slots(conn)
            _allow_replication(conn)
    except sa.exc.OperationalError as exc:
        raise ReplicaUnavailable(f"no test server: {exc.orig}") from None
    finally:
        engine.dispose()
    owner = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            raise ReplicaUnavailable("running as root and there is no postgres OS user to run the replica") from None
        owner = "postgres"
    data_dir = Path(tempfile.mkdtemp(prefix="xincheng-replica-", dir="/tmp"))
    if owner is not None:
        shutil.chown(data_dir, user=owner, group=owner)
    data_dir.chmod(0o700)
    mapped = _tablespaces_folder(data_dir)
    mapped.mkdir(mode=0o700)
    if owner is not None:
        shutil.chown(mapped, user=owner, group=owner)
    mapping = [f"--tablespace-mapping={location}={mapped / str(n)}" for n, location in enumerate(tablespaces)]
    port = _free_port()
    slot = f"{SLOT_PREFIX}{os.getpid()}_{port}"
    replica = Replica(primary_url, data_dir, port, slot, _binary("pg_ctl", major), owner)
    try:
        _create_slot(primary_url, slot)  # reserved before the copy starts, so every WAL file it needs is kept
        _run_as_owner([_binary("pg_basebackup", major), "-h", "127.0.0.1", "-p", str(parsed.port or 5432),
                       "-U", parsed.username or "postgres", "-D", str(data_dir), "-R", "-S", slot,
                       "-X", "stream", "-c", "fast", "--no-sync", *mapping], owner=owner, timeout_s=300)
        _configure(data_dir, port, owner, at_least)
        replica.start()
    except BaseException:
        replica.remove()
        raise
    return replica


def _configure(data_dir: Path, port: int, owner: str | None, at_least: dict[str, object]) -> None:
    """Write the standby's own configuration: its port, loopback only, hot standby, trust from 127.0.0.1.

    A Debian cluster keeps its configuration in /etc, so the copied data directory has none; a
    ``postgresql.conf`` copied along (another layout) is replaced."""
    (data_dir / "postgresql.conf").write_text(
        f"port = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{data_dir}'\n"
        f"hba_file = '{data_dir}/pg_hba.conf'\nident_file = '{data_dir}/pg_ident.conf'\n"
        "hot_standby = on\nhot_standby_feedback = on\nshared_buffers = 32MB\n"
        "fsync = off\nlogging_collector = off\nmax_standby_streaming_delay = 5s\n"
        + "".join(f"{name} = {value}\n" for name, value in at_least.items()))
    (data_dir / "pg_hba.conf").write_text("local all all trust\nhost all all 127.0.0.1/32 trust\n")
    (data_dir / "pg_ident.conf").write_text("")
    if owner is not None:
        for name in ("postgresql.conf", "pg_hba.conf", "pg_ident.conf"):
            shutil.chown(data_dir / name, user=owner, group=owner)


if __name__ == "__main__":  # pragma: no cover - by hand
    made = make_replica(os.environ.get("XINCHENG_TEST_POSTGIS_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    print(made.url("postgres"))
    try:
        input("Enter removes it · 回车删除 ")
    finally:
        made.remove()
