"""The gazetteer: every rule refuses by name, the lifecycle, renames that follow to plates, 409s."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import shapely
import sqlalchemy as sa

from geo.errors import Conflict, InputError, StaleVersion
from geo.placenames.lifecycle import ValidationFailed, propose, rename, transition
from geo.placenames.rules import validate
from geo.placenames.search import NameIndex
from geo.store import Store, schema

BASE = {"standard_name": "春晖路", "specific": "春晖", "generic": "路", "feature_class": "street",
        "meaning": "取春光普照之意", "admin_code": "150102003000", "name_mong": "ᠴᠦᠨ ᠬᠦᠢ ᠵᠠᠮ"}


def _rules(rec, existing=()):
    return {(f.rule, f.severity) for f in validate({**BASE, **rec}, existing, district="150102")}


@pytest.mark.parametrize("change,rule,severity", [
    ({"meaning": ""}, "PN-00", "error"),
    ({"specific": "春光"}, "PN-00", "error"),
    ({"standard_name": "路", "specific": ""}, "PN-00", "error"),
    ({"standard_name": "春晖小区", "generic": "小区"}, "PN-02", "error"),
    ({"standard_name": "皇家路", "specific": "皇家"}, "PN-01", "error"),
    ({"standard_name": "邓小平路", "specific": "邓小平"}, "PN-04", "error"),
    ({"standard_name": "曼哈顿路", "specific": "曼哈顿"}, "PN-05", "error"),
    ({"standard_name": "宏达集团路", "specific": "宏达集团"}, "PN-06", "error"),
    ({"standard_name": "春\udcff路", "specific": "春\udcff"}, "PN-03", "error"),
    ({"standard_name": "ᠴᠦᠨ路", "specific": "ᠴᠦᠨ"}, "PN-03", "error"),
    ({"standard_name": "㘵晖路", "specific": "㘵晖"}, "PN-03", "warning"),
    ({"name_mong": None}, "PN-10", "error"),
    ({"name_mong": None, "name_mong_pending": True}, "PN-10", "warning"),
    ({"name_mong": "Chunhui Zam"}, "PN-10", "error"),
    ({"admin_code": "15010200300"}, "PN-13", "error"),
    ({"admin_code": "150103003000"}, "PN-13", "error"),
    ({"approval_date": date(2026, 1, 1), "filed_date": date(2026, 1, 30)}, "PN-11", "warning"),
    ({"approval_date": date(2026, 1, 1), "announce_date": date(2026, 2, 1)}, "PN-12", "warning"),
])
def test_each_rule_refuses_what_it_must_and_says_which(change, rule, severity):
    assert (rule, severity) in _rules(change)
    found = validate({**BASE, **change}, [], district="150102")
    # Chinese first, citing the rule by its title and ID; English after the separator, with the ID too
    assert any(f.message[0] >= "\u3400" and f"（{rule}" in f.message.split(" · ")[0]
               and f.message.split(" · ", 1)[1].startswith(rule) for f in found)


def test_clean_name_has_no_findings():
    assert _rules({}) == set()


def test_duplicates_and_homophones_within_their_scope():
    other_district = [{"id": 9, "standard_name": "春晖路", "feature_class": "street", "admin_code": "150103001000",
                       "status": "in_force"}]
    assert ("PN-07", "error") in _rules({}, other_district)  # streets: the whole built-up area (city-wide)
    homophone = [{"id": 9, "standard_name": "春辉路", "feature_class": "street", "admin_code": "150102001000",
                  "status": "in_force"}]
    assert ("PN-07", "warning") in _rules({}, homophone)
    community = {**BASE, "standard_name": "春晖社区", "generic": "社区", "feature_class": "community"}
    elsewhere = [{"id": 3, "standard_name": "春晖社区", "feature_class": "community", "admin_code": "150103001001",
                  "status": "in_force"}]
    assert not [f for f in validate(community, elsewhere, district="150102") if f.rule == "PN-07"]
    retired = [{**homophone[0], "standard_name": "春晖路", "status": "retired"}]
    assert ("PN-07", "error") not in _rules({}, retired)


def _propose(store: Store, **change):
    return propose(store, {**BASE, **change}, actor="officer-li",
                   geometry=shapely.LineString([(111.70, 40.85), (111.71, 40.85)]))


def test_proposal_is_romanized_and_warnings_need_a_justification(store: Store):
    rec = _propose(store)
    assert rec["status"] == "proposed" and rec["pinyin_toned"] == "Chūnhuī Lù" and rec["sign_text"] == "CHUNHUI LU"
    with pytest.raises(ValidationFailed) as err:
        _propose(store, standard_name="春辉路", specific="春辉")
    assert "justification" in err.value.message and err.value.findings[0].rule == "PN-07"
    ok = propose(store, {**BASE, "standard_name": "春辉路", "specific": "春辉"}, actor="officer-li",
                 justification="两条路分属不同片区，居民已习惯")
    assert ok["justification"]
    with pytest.raises(ValidationFailed) as err:
        _propose(store, standard_name="春晖小区", generic="小区")
    assert err.value.field == "generic" and "PN-02" in err.value.message
    assert store.count("place_names") == 2


def test_an_approval_before_the_beijing_day_of_the_proposal_is_refused_naming_that_day(store: Store):
    """Proposed at 01:00 on 5 January, Beijing time (17:00 UTC on the 4th): an approval dated the 4th comes
    before the proposal, and the refusal names the 5th; the UTC date let it through (review, 2026-12-04)."""
    rec = _propose(store)
    with store.writing() as conn:
        conn.execute(sa.update(schema.place_names).where(schema.place_names.c.id == rec["id"])
                     .values(created_at=datetime(2026, 1, 4, 17, 0, tzinfo=UTC)))
    v = rec["version"]
    for step in ("consultation", "expert_review", "assessment"):
        rec = transition(store, rec["id"], step, expected_version=v, actor="officer-li")
        v = rec["version"]
    approval = {"approval_authority": "呼和浩特市人民政府", "approval_doc_no": "呼政字〔2026〕1号"}
    with pytest.raises(InputError) as err:
        transition(store, rec["id"], "approved", expected_version=v, actor="officer-li",
                   data={**approval, "approval_date": "2026-01-04"})
    assert err.value.field == "approval_date" and "2026-01-05" in err.value.message, err.value.message
    assert store.get("place_names", rec["id"])["status"] == "assessment"
    done = transition(store, rec["id"], "approved", expected_version=v, actor="officer-li",
                      data={**approval, "approval_date": "2026-01-05"})
    assert done["status"] == "approved" and done["approval_date"] == date(2026, 1, 5)


def test_full_lifecycle_with_dates_and_documents(store: Store):
    rec = _propose(store)
    with store.writing() as conn:  # proposed in January: the approval below comes after it
        conn.execute(sa.update(schema.place_names).where(schema.place_names.c.id == rec["id"])
                     .values(created_at=datetime(2026, 1, 5, tzinfo=UTC)))
    v = rec["version"]
    for step in ("consultation", "expert_review", "assessment"):
        rec = transition(store, rec["id"], step, expected_version=v, actor="officer-li", comment=step)
        v = rec["version"]
    with pytest.raises(InputError) as err:
        transition(store, rec["id"], "approved", expected_version=v, actor="officer-li")
    assert err.value.field == "approval_authority"
    rec = transition(store, rec["id"], "approved", expected_version=v, actor="officer-li",
                     data={"approval_authority": "呼和浩特市人民政府", "approval_doc_no": "呼政字〔2026〕12号",
                           "approval_date": "2026-03-01"})
    with pytest.raises(Conflict):
        transition(store, rec["id"], "in_force", expected_version=rec["version"], actor="officer-li")
    rec = transition(store, rec["id"], "filed", expected_version=rec["version"], actor="officer-li",
                     data={"filed_date": "2026-03-10"})
    rec = transition(store, rec["id"], "announced", expected_version=rec["version"], actor="officer-li",
                     data={"announce_date": "2026-03-25"})
    rec = transition(store, rec["id"], "in_force", expected_version=rec["version"], actor="officer-li")
    assert rec["status"] == "in_force" and rec["approval_date"] == date(2026, 3, 1)
    events = store.select("place_name_events", where={"place_name_id": rec["id"]})
    assert [e["to_status"] for e in events] == ["proposed", "consultation", "expert_review", "assessment",
                                                "approved", "filed", "announced", "in_force"]
    late = next(e for e in events if e["to_status"] == "announced")
    assert "PN-12" in (late["warnings"] or "")  # 24 days after approval


def _in_force(store: Store, **change):
    rec = _propose(store, **change)
    store.update("place_names", rec["id"], {"status": "in_force", "approval_date": date(2020, 5, 1)},
                 expected_version=rec["version"], actor="setup")
    return store.get("place_names", rec["id"])


def test_rename_keeps_the_former_name_and_readdresses_plates(store: Store):
    name = _in_force(store)
    store.insert("streets", [{"name": "春晖路", "place_name_id": name["id"],
                              "geometry": shapely.LineString([(111.70, 40.85), (111.71, 40.85)])}], actor="setup")
    store.insert("door_plates", [{"plate_uid": f"PLATE{i:03d}", "street_name": "春晖路", "number": i + 1,
                                  "geometry": shapely.Point(111.70 + i * 1e-4, 40.8501)} for i in range(5)],
                 actor="setup")
    before = {p["plate_uid"]: p["id"] for p in store.select("door_plates")}
    after = rename(store, name["id"], "春华路", expected_version=name["version"], actor="officer-wang",
                   approval={"approval_authority": "呼和浩特市人民政府", "approval_doc_no": "呼政字〔2026〕30号",
                             "approval_date": "2026-06-01"}, justification="与邻区重名")
    assert after["standard_name"] == "春华路" and after["pinyin_toned"] == "Chūnhuá Lù"
    (former,) = store.select("former_names", where={"place_name_id": name["id"]})
    assert former["name"] == "春晖路"
    assert former["valid_from"] == date(2020, 5, 1) and former["valid_to"] == date(2026, 6, 1)
    plates = store.select("door_plates")
    assert {p["street_name"] for p in plates} == {"春华路"}
    assert {p["plate_uid"]: p["id"] for p in plates} == before  # same plates, same ids: QR codes keep working
    assert sorted(r["plate_uid"] for r in store.select("plate_reprints")) == sorted(before)
    assert store.select("streets")[0]["name"] == "春华路"
    idx = NameIndex(store.select("place_names"), store.select("former_names"))
    assert idx.search("春晖路")[0].name == "春华路"


def test_protected_names_are_renamed_only_after_a_decision_lifts_the_protection(store: Store):
    from geo.placenames.lifecycle import set_protection

    name = _in_force(store)
    name = set_protection(store, name["id"], True, expected_version=name["version"], actor="o",
                          document_ref="新政发〔2026〕1号", reason="老地名 historic name")
    approval = {"approval_authority": "市政府", "approval_doc_no": "X-1", "approval_date": "2026-06-01"}
    with pytest.raises(Conflict) as err:
        rename(store, name["id"], "春华路", expected_version=name["version"], actor="o", approval=approval)
    assert "PN-09" in err.value.message and "新政发〔2026〕1号" in err.value.message and err.value.field == "protected"
    name = set_protection(store, name["id"], False, expected_version=name["version"], actor="o",
                          document_ref="新政发〔2026〕9号", reason="原名刻入路牌背面并设说明牌")
    renamed = rename(store, name["id"], "春华路", expected_version=name["version"], actor="o", approval=approval)
    assert renamed["standard_name"] == "春华路"


def test_two_officers_one_wins_the_other_gets_409_and_both_are_audited(store: Store):
    from geo.placenames.lifecycle import edit

    rec = _propose(store)
    edit(store, rec["id"], {"meaning": "甲的说明"}, expected_version=rec["version"], actor="officer-jia")
    with pytest.raises(StaleVersion):
        edit(store, rec["id"], {"meaning": "乙的说明"}, expected_version=rec["version"], actor="officer-yi")
    assert store.get("place_names", rec["id"])["meaning"] == "甲的说明"
    audit = store.audit_rows("place_names", rec["id"])
    assert [(a["action"], a["actor"]) for a in audit] == [
        ("create", "officer-li"), ("update", "officer-jia"), ("refused_stale_version", "officer-yi")]
    assert "乙的说明" in audit[-1]["after"]


def test_search_on_the_sample_gazetteer(sample):
    g = sample["place_names"].assign(id=lambda d: range(1, len(d) + 1))
    idx = NameIndex(g.to_dict("records"))

    def top(q):
        return idx.search(q, limit=1)[0].name

    assert top("锡林郭勒北路") == "锡林郭勒北路"
    assert top("xlglbl") == "锡林郭勒北路"                 # initials
    assert top("xilinguolebeilu") == "锡林郭勒北路"        # full pinyin
    assert top("Xīlínguōlè Běilù") == "锡林郭勒北路"       # with tones and spaces
    assert top("xilngguolebeilu") == "锡林郭勒北路"        # a typo
    assert top("中三东路") == "中山东路"                    # a wrong character
    assert idx.search("新华大街")[0].how == "exact"
    assert idx.search("zzzzqqq") == []
