"""The garbage collector's pause around bulk work (geo.collection): overlapping pauses on a server's threads."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from geo.collection import collection_paused


@pytest.fixture
def collector_on() -> Iterator[None]:
    """Start each test with the collector on, as a process has it, and leave it as found."""
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_a_pause_switches_the_collector_off_and_back_on(collector_on) -> None:
    with collection_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_collector_comes_back_after_an_error(collector_on) -> None:
    with pytest.raises(ValueError), collection_paused():
        raise ValueError("an import refused")
    assert gc.isenabled()


def test_overlapping_pauses_on_two_threads_end_with_the_last(collector_on) -> None:
    """Thread A pauses, B pauses, A ends (the collector stays off: B's work goes on), B ends (on again);
    a pause that saved and restored the switch per call would leave it on under B, or off for good."""
    a_in, b_in, a_out, b_go = threading.Event(), threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, bool] = {}

    def a() -> None:
        with collection_paused():
            a_in.set()
            b_in.wait(5)
        a_out.set()

    def b() -> None:
        a_in.wait(5)
        with collection_paused():
            b_in.set()
            a_out.wait(5)
            seen["under B after A ended"] = gc.isenabled()
            b_go.wait(5)

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in threads:
        t.start()
    a_out.wait(5)
    b_go.set()
    for t in threads:
        t.join(5)
    assert seen == {"under B after A ended": False}
    assert gc.isenabled()


def test_a_pause_leaves_a_collector_switched_off_by_its_caller_off(collector_on) -> None:
    gc.disable()
    with collection_paused(), collection_paused():
        pass
    assert not gc.isenabled()


def test_an_import_refused_midway_leaves_the_collector_on(collector_on, store, tmp_path) -> None:
    """A server's upload runs the import on one of its threads: a refusal must not leave every worker's
    collector switched off."""
    from geo.errors import InputError
    from geo.io.importer import import_file

    bad = tmp_path / "plates.csv"
    bad.write_text("lon,lat,street_name\n111.6,40.8,\n", encoding="utf-8")
    with pytest.raises(InputError):
        import_file(store, "door_plates", bad, crs="EPSG:4490", actor="test", x_col="lon", y_col="lat")
    assert gc.isenabled()
    assert store.count("door_plates") == 0
