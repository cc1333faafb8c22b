"""Refresh many districts' coverage: each district one task, in this process or on a Dask cluster.

:func:`refresh_on_cluster` submits :func:`geo.planning.refresh.refresh_district` once per district
to a ``dask.distributed`` client: a :func:`local_cluster` of worker processes on this machine, or a
production scheduler (:func:`scheduler_client`, ``tcp://host:port``) whose workers reach the same
database. A task that raises is run again (``retries``); a worker that dies mid-task (killed, out of
memory) has its tasks run again on another by the scheduler itself (up to Dask's
``distributed.scheduler.allowed-failures``, 3 by default). Each district writes its rows in its own
transaction, so a task cut off half-way leaves the district's previous rows, and running it again
gives the same rows. :func:`refresh_in_process` runs the same tasks one after another here, without
Dask: the single-process reference the cluster's results are compared with.

Dask is imported only inside these functions: nothing else of the service needs it.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from geo.errors import DomainError, InputError, NotFound
from geo.messages import label, text
from geo.planning.coverage import ELDER_CARE_KINDS, WalkParams
from geo.planning.refresh import DistrictOutcome, refresh_district
from geo.store import Store
from geo.store.availability import database_read_only
from geo.store.districts import district_store, held_districts, refuse_unheld_district

if TYPE_CHECKING:
    from distributed import Client

Progress = Callable[[DistrictOutcome], None]
DEFAULT_RETRIES = 2
CONNECT_TIMEOUT_S = 10.0
_SCHEDULER = re.compile(r"(tcp|tls)://[A-Za-z0-9.\-_\[\]:]+:[0-9]{1,5}")


@dataclass(frozen=True)
class RefreshReport:
    """What a refresh of many districts did: one outcome per district (in the order asked), the time."""

    outcomes: list[DistrictOutcome]
    seconds: float
    workers: int      # 0: in this process

    @property
    def failed(self) -> list[DistrictOutcome]:
        """Return the districts whose rows were not replaced."""
        return [o for o in self.outcomes if not o.ok]

    @property
    def units(self) -> int:
        """Return the units stored in all."""
        return sum(o.units for o in self.outcomes)


def chosen_districts(store: Store, adcodes: Sequence[str] | None = None) -> list[str]:
    """Return the districts to refresh: ``adcodes``, each checked to be a district the database holds, or
    (``None``) every district it holds. ``store``'s own district counts only if the database holds it: a
    region's database need not hold the settings' default district.
    """
    held = held_districts(store)  # the store's own district first, whether held or not
    try:
        refuse_unheld_district(store)
    except InputError:
        held = held[1:]  # the database holds others, not the store's own
    if adcodes is None:
        return held
    for adcode in adcodes:
        district_store(store, adcode)  # a code that is not one, or a district not held, is refused
        if adcode not in held:  # the store's own district, where the database does not hold it
            raise NotFound(text("districts.not_held", field=label("district"), value=adcode, held="、".join(held)),
                           field="district")
    return list(adcodes)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [""])[0][:300]


def _failure(adcode: str, exc: BaseException, *, attempts: int) -> DistrictOutcome:
    """Return the outcome of a district whose task failed ``attempts`` times (the last with ``exc``)."""
    if type(exc).__name__ == "KilledWorker":  # the scheduler gave up: its workers died running it
        return DistrictOutcome(adcode=adcode, error=text("refresh.worker_lost", detail=_first_line(exc)))
    return DistrictOutcome(adcode=adcode, error=text("refresh.task_failed", attempts=attempts,
                                                     kind=type(exc).__name__, detail=_first_line(exc)))


def refresh_task(database_url: str, adcode: str, *, params: WalkParams, kinds: tuple[str, ...],
                 actor: str) -> DistrictOutcome:
    """Run :func:`geo.planning.refresh.refresh_district` as one task: a database that refuses writes (read-only) is
    the district's outcome at once, not an error (which would be run again, and on a cluster logged with its
    stack by every worker, though it fails the same way each time: review)."""
    try:
        return refresh_district(database_url, adcode, params=params, kinds=kinds, actor=actor)
    except Exception as exc:
        if not database_read_only(exc):
            raise
        return DistrictOutcome(adcode=adcode, error=text("refresh.read_only", detail=_first_line(exc)))


def refresh_in_process(database_url: str, adcodes: Sequence[str], *, params: WalkParams,
                       kinds: tuple[str, ...] = ELDER_CARE_KINDS, actor: str, retries: int = DEFAULT_RETRIES,
                       progress: Progress | None = None) -> RefreshReport:
    """Refresh ``adcodes`` one after another in this process (a task that raises runs again ``retries`` times)."""
    started = time.perf_counter()
    outcomes: list[DistrictOutcome] = []
    for adcode in adcodes:
        for attempt in range(1, retries + 2):
            try:
                outcome = refresh_task(database_url, adcode, params=params, kinds=kinds, actor=actor)
                break
            except Exception as exc:  # as a worker's task: anything but a refusal of the data is run again
                outcome = _failure(adcode, exc, attempts=attempt)
        outcomes.append(outcome)
        if progress is not None:
            progress(outcome)
    return RefreshReport(outcomes=outcomes, seconds=time.perf_counter() - started, workers=0)


def refresh_on_cluster(client: Client, database_url: str, adcodes: Sequence[str], *, params: WalkParams,
                       kinds: tuple[str, ...] = ELDER_CARE_KINDS, actor: str, retries: int = DEFAULT_RETRIES,
                       progress: Progress | None = None) -> RefreshReport:
    """Refresh ``adcodes`` as one task each on ``client``'s cluster; ``progress`` hears of each as it ends.

    The workers open the database at ``database_url`` themselves: it must be reachable from them.
    """
    from distributed import as_completed

    started = time.perf_counter()
    run = uuid.uuid4().hex[:8]  # task keys unique per run: a second run never reuses a first's results
    # The options bound here: Client.submit has keywords of its own (``actor`` among them).
    task = partial(refresh_task, params=params, kinds=kinds, actor=actor)
    futures = {client.submit(task, database_url, adcode, key=f"refresh-coverage-{adcode}-{run}", retries=retries,
                             pure=False): adcode
               for adcode in adcodes}
    done: dict[str, DistrictOutcome] = {}
    for future in as_completed(futures):
        adcode = futures[future]
        if future.status == "finished":
            outcome = future.result()
        else:
            exc = future.exception()
            outcome = _failure(adcode, exc if exc is not None else RuntimeError(future.status),
                               attempts=retries + 1)
        done[adcode] = outcome
        future.release()
        if progress is not None:
            progress(outcome)
    workers = len(client.scheduler_info()["workers"])
    return RefreshReport(outcomes=[done[a] for a in adcodes], seconds=time.perf_counter() - started,
                         workers=workers)


@contextmanager
def local_cluster(*, workers: int) -> Iterator[Client]:
    """Start a Dask cluster of ``workers`` processes (one thread each: the work holds the GIL) on this
    machine; yield its client; stop it afterwards."""
    from distributed import Client, LocalCluster

    if workers < 1:
        raise InputError(text("refresh.workers", value=workers), field="workers")
    # The scheduler's HTTP server (health, metrics) on a free loopback port: with no address it takes 8787,
    # and a second refresh on the machine at the same time warned "Port 8787 is already in use".
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address="127.0.0.1:0",
                      silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
        yield client


@contextmanager
def scheduler_client(address: str, *, timeout_s: float = CONNECT_TIMEOUT_S) -> Iterator[Client]:
    """Connect to the Dask scheduler at ``address`` (``tcp://host:port``); yield the client, close it after."""
    from distributed import Client

    if not _SCHEDULER.fullmatch(address):
        raise InputError(text("refresh.scheduler_address", value=repr(address[:80])), field="scheduler")
    try:
        client = Client(address, timeout=timeout_s)
    except (OSError, TimeoutError) as exc:
        raise DomainError(text("refresh.scheduler_unreachable", address=address, detail=_first_line(exc)),
                          field="scheduler") from None
    with client:
        yield client
