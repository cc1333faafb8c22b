"""Fifth review of #17, the national sync: batches are sent in order, and a year with nothing new says
honestly why.

Each batch holds only the changes since the one before, so recording a later batch as sent while an
earlier one is not would lose the earlier changes; the use case refuses it (409, Chinese first, naming
the batch and the earlier unsent ones by year and number), and so do the API, the page (beside the
form) and the CLI. A change's year is the year it was recorded: a year without unbatched changes is
refused without claiming the year had no changes.
"""

from __future__ import annotations

import re
from datetime import date

import httpx
import pytest

from geo.errors import Conflict
from geo.placenames.national_sync import list_batches, make_batch, mark_sent
from geo.store import Store
from tests.test_heritage_pages import CSRF, _client
from tests.test_national_sync import _in_force, _token, _year


def _batches(store: Store, count: int) -> list[dict]:
    """Make ``count`` batches of this year, one change each; return them oldest first."""
    name = _in_force(store, "春晖路")
    out = []
    for number in range(count):
        if number:
            name = store.update("place_names", name["id"], {"meaning": f"第 {number} 次修改"},
                                expected_version=name["version"], actor="setup")
        batch, created = make_batch(store, _year(), actor="o")
        assert created and batch["batch_no"] == number + 1
        out.append(batch)
    return out


def _last_year_batch(store: Store) -> dict:
    """Store an unsent batch of last year (as an export made last year would have)."""
    (bid,) = store.insert("sync_batches", [{
        "year": _year() - 1, "batch_no": 1, "from_seq": 1, "to_seq": 1, "record_count": 0, "file_format": "csv",
        "checksum_sha256": "0" * 64, "payload": "\ufeff变更类型\n", "made_by": "o"}], actor="setup")
    return store.get("sync_batches", bid)


def test_a_batch_is_not_sent_before_the_earlier_ones(store: Store):
    first, second, third = _batches(store, 3)
    with pytest.raises(Conflict) as err:
        mark_sent(store, third["id"], expected_version=third["version"], actor="o")
    message = err.value.message
    assert err.value.status == 409 and err.value.field == "id"
    assert message.startswith(f"同步批次 {_year()} 年第 3 批（id {third['id']}）不能登记为已报送")
    assert f"{_year()} #1（id {first['id']}）、{_year()} #2（id {second['id']}）" in message
    assert "sync batch" in message  # English beside
    assert all(b["sent_at"] is None for b in list_batches(store))  # nothing recorded
    sent = mark_sent(store, first["id"], expected_version=first["version"], actor="o")
    assert sent["sent_at"] is not None
    with pytest.raises(Conflict) as err:  # the first is sent now; the second still is not
        mark_sent(store, third["id"], expected_version=third["version"], actor="o")
    assert f"{_year()} #2（id {second['id']}）" in err.value.message and f"{_year()} #1" not in err.value.message
    mark_sent(store, second["id"], expected_version=second["version"], actor="o")
    assert mark_sent(store, third["id"], expected_version=third["version"], actor="o")["sent_at"] is not None


def test_an_unsent_batch_of_an_earlier_year_comes_first(store: Store):
    (batch,) = _batches(store, 1)
    old = _last_year_batch(store)
    with pytest.raises(Conflict) as err:
        mark_sent(store, batch["id"], expected_version=batch["version"], actor="o")
    assert f"{_year() - 1} #1（id {old['id']}）" in err.value.message
    mark_sent(store, old["id"], expected_version=old["version"], actor="o")
    assert mark_sent(store, batch["id"], expected_version=batch["version"], actor="o")["sent_at"] is not None


def test_a_year_without_unbatched_changes_is_refused_honestly(store: Store):
    """A rename decided last year but recorded this year goes into this year's batch; asking for last
    year does not claim last year had no changes."""
    name = _in_force(store, "春晖路")
    store.update("place_names", name["id"], {"standard_name": "春光路", "approval_date": date(_year() - 1, 6, 1)},
                 expected_version=name["version"], actor="setup")
    with pytest.raises(Conflict) as err:
        make_batch(store, _year() - 1, actor="o")
    message = err.value.message
    assert "年没有地名变更" not in message and "no place-name changes in" not in message
    assert message.startswith(f"{_year() - 1} 年内没有记录过尚未编入批次的地名变更")
    assert "编入记录当年的批次" in message and "recorded" in message
    batch, created = make_batch(store, _year(), actor="o")
    assert created and "春光路" in batch["payload"]


def test_the_api_refuses_sending_out_of_order(writable_server, writable_sample_store):
    base, store = writable_server, writable_sample_store
    first, second = _batches(store, 2)
    officer = _token(base, "placename_officer")
    r = httpx.post(f"{base}/api/place-codes/sync-batches/{second['id']}/sent", headers=officer,
                   json={"version": second["version"]})
    assert r.status_code == 409, r.text
    body = r.text
    assert f"{_year()} #1（id {first['id']}）" in body and "不能登记为已报送" in body
    assert store.get("sync_batches", second["id"])["sent_at"] is None


def test_the_page_shows_the_refusal_beside_the_form(writable_server, writable_sample_store):
    base, store = writable_server, writable_sample_store
    first, second = _batches(store, 2)
    sent_path = f"/officer/sync/{second['id']}/sent"
    with _client(base) as c:
        token = CSRF.search(c.get("/officer/sync").text).group(1)
        r = c.post(sent_path, data={"version": str(second["version"]), "csrf_token": token})
    assert r.status_code == 409
    row = r.text.split(f"id='batch-{second['id']}'")[1].split("</tr>")[0]
    refusal = re.search(r"<p class='err' role='alert'>(.*?)</p>", row, re.S)
    assert refusal and f"{_year()} #1（id {first['id']}）" in refusal.group(1)
    assert sent_path in row  # the form is still there
    assert store.get("sync_batches", second["id"])["sent_at"] is None


def test_the_cli_refuses_sending_out_of_order(tmp_path):
    from tests.xincheng_cli import run

    db = tmp_path / "x.db"
    s = Store.open(f"sqlite:///{db}")
    s.migrate()
    first, second = _batches(s, 2)
    s.close()
    r = run("place-codes", "sync", "sent", str(second["id"]), db=db)
    assert r.returncode == 1 and f"{_year()} #1（id {first['id']}）" in r.stderr, r.stderr
    assert run("place-codes", "sync", "sent", str(first["id"]), db=db).returncode == 0
    assert run("place-codes", "sync", "sent", str(second["id"]), db=db).returncode == 0
