"""The garbage collector's rare pace around bulk work (geo.collection): overlapping blocks on a server's threads."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from geo.collection import RARE_THRESHOLDS, collecting_rarely

PYTHON_PACE = (700, 10, 10)


@pytest.fixture
def python_pace() -> Iterator[None]:
    """Start each test at Python's own pace, collector on, and leave the process as found."""
    was_enabled, was_pace = gc.isenabled(), gc.get_threshold()
    gc.enable()
    gc.set_threshold(*PYTHON_PACE)
    yield
    gc.set_threshold(*was_pace)
    if not was_enabled:
        gc.disable()


def test_a_block_collects_rarely_then_at_the_pace_found(python_pace) -> None:
    with collecting_rarely():
        assert gc.get_threshold() == RARE_THRESHOLDS
        assert gc.isenabled()  # still collecting: a server's other requests make cyclic garbage meanwhile
    assert gc.get_threshold() == PYTHON_PACE


def test_the_pace_comes_back_after_an_error(python_pace) -> None:
    with pytest.raises(ValueError), collecting_rarely():
        raise ValueError("an import refused")
    assert gc.get_threshold() == PYTHON_PACE


def test_a_rarer_pace_set_by_the_caller_is_kept(python_pace) -> None:
    gc.set_threshold(500_000, 50, 50)
    with collecting_rarely():
        assert gc.get_threshold() == (500_000, 50, 50)
    assert gc.get_threshold() == (500_000, 50, 50)


def test_overlapping_blocks_on_two_threads_end_with_the_last(python_pace) -> None:
    """Thread A begins, B begins, A ends (still rare: B's work goes on), B ends (Python's pace again); a block
    that saved and put back the thresholds itself would leave B at Python's pace, or the process rare for good."""
    a_in, b_in, a_out, b_go = threading.Event(), threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, tuple[int, int, int]] = {}

    def a() -> None:
        with collecting_rarely():
            a_in.set()
            b_in.wait(5)
        a_out.set()

    def b() -> None:
        a_in.wait(5)
        with collecting_rarely():
            b_in.set()
            a_out.wait(5)
            seen["under B after A ended"] = gc.get_threshold()
            b_go.wait(5)

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in threads:
        t.start()
    a_out.wait(5)
    b_go.set()
    for t in threads:
        t.join(5)
    assert seen == {"under B after A ended": RARE_THRESHOLDS}
    assert gc.get_threshold() == PYTHON_PACE


def test_a_collector_switched_off_by_its_caller_stays_off(python_pace) -> None:
    gc.disable()
    with collecting_rarely(), collecting_rarely():
        assert not gc.isenabled()
    assert not gc.isenabled()
    assert gc.get_threshold() == PYTHON_PACE


def test_an_import_refused_midway_leaves_pythons_pace(python_pace, store, tmp_path) -> None:
    """A server's upload runs the import on one of its threads: a refusal must not leave every worker
    collecting rarely."""
    from geo.errors import InputError
    from geo.io.importer import import_file

    bad = tmp_path / "plates.csv"
    bad.write_text("lon,lat,street_name\n111.6,40.8,\n", encoding="utf-8")
    with pytest.raises(InputError):
        import_file(store, "door_plates", bad, crs="EPSG:4490", actor="test", x_col="lon", y_col="lat")
    assert gc.get_threshold() == PYTHON_PACE
    assert store.count("door_plates") == 0


def test_thresholds_set_by_someone_else_during_a_block_are_kept(python_pace) -> None:
    """`xincheng serve` puts Python's pace back (api.cli.collector.pace_for_a_server); had a block been running
    then, its end put back the command's pace it had found, and the server ran at it for good (review)."""
    from api.cli.collector import COMMAND_THRESHOLDS, PYTHON_THRESHOLDS, pace_for_a_command, pace_for_a_server

    pace_for_a_command()
    with collecting_rarely():
        pace_for_a_server()
    assert gc.get_threshold() == PYTHON_THRESHOLDS != COMMAND_THRESHOLDS


def test_a_block_entered_again_on_the_same_thread_while_the_pace_changes_does_not_deadlock(
        python_pace, monkeypatch) -> None:
    """A collection can start while the first block changes the pace (the state lock held) and run a finalizer
    that enters a block on that same thread: with a plain lock it waited for itself for ever (review)."""
    import geo.collection

    real_get_threshold = gc.get_threshold
    entered_inside: list[tuple[int, int, int]] = []

    def get_threshold_running_a_finalizer() -> tuple[int, int, int]:
        found = real_get_threshold()
        if not entered_inside:
            entered_inside.append(found)
            with collecting_rarely():  # what such a finalizer would do
                entered_inside.append(real_get_threshold())
        return found

    monkeypatch.setattr(geo.collection.gc, "get_threshold", get_threshold_running_a_finalizer)
    finished = threading.Event()

    def block() -> None:
        with collecting_rarely():
            pass
        finished.set()

    thread = threading.Thread(target=block, daemon=True)
    thread.start()
    thread.join(5)
    monkeypatch.undo()
    assert finished.is_set(), "the block waited on its own thread's lock"
    assert entered_inside == [PYTHON_PACE, RARE_THRESHOLDS]
    assert gc.get_threshold() == PYTHON_PACE
