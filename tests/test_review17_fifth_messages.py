"""Review 17, fourth round, finding 12: a rule field refused on the generic path says what to do in
words that read (no "请使用 （不可修改…）"), Chinese first."""

from __future__ import annotations

import pytest

from geo.write_rules import RuleFieldRefused, check_generic_change


@pytest.mark.parametrize(("layer", "field", "before", "after", "says"), [
    ("place_names", "place_code", "1501022162000001", "X", "请使用 POST /api/place-codes/assign"),
    ("door_plates", "plate_uid", "AAAA2345", "BBBB2345", "请使用 POST /api/plates/{plate_uid}/replace"),
    ("boundary_lines", "line_code", "XS01", "XS02", "不能修改：界线编码与两侧政区不可改写"),
])
def test_a_refused_rule_field_says_what_to_do_in_words_that_read(layer, field, before, after, says):
    with pytest.raises(RuleFieldRefused) as err:
        check_generic_change(layer, {field: before}, {field: after})
    message = err.value.message
    assert says in message and "请使用 （" not in message and err.value.field == field, message
    assert message.index("不") < message.index("cannot")  # Chinese first


@pytest.mark.parametrize("coordinates", [
    [[[[111.70, 40.80], [111.71, 40.80], [111.71, 40.81], [111.70, 40.80]]], []],  # an empty polygon part
    [[[[111.70, 40.80], [111.71, 40.80], [111.71, 40.81], [111.70, 40.80]], []]],  # an empty ring
])
def test_a_geometry_with_an_empty_part_is_refused_in_words_not_a_python_error(coordinates):
    from geo.errors import InvalidGeometry
    from geo.features import parse_geometry

    with pytest.raises(InvalidGeometry) as err:
        parse_geometry({"type": "MultiPolygon", "coordinates": coordinates}, crs="EPSG:4490",
                       allowed=("Polygon", "MultiPolygon"), field="parts")
    assert "没有任何坐标" in err.value.message and "index" not in err.value.message and err.value.field == "parts"


@pytest.mark.parametrize("doc_no", ["A\n变更,999", "新政发〔2026〕\r12号", "新政发\t12号"])
def test_a_decisions_document_number_is_one_line(doc_no):
    from geo.divisions.changes import parse_decision
    from geo.errors import InputError
    from geo.plates.decisions import _decision

    decision = {"decision_body": "新城区人民政府", "decision_doc_no": doc_no, "decision_date": "2026-06-01"}
    for parse in (parse_decision, _decision):  # division changes; plate status and replacement decisions
        with pytest.raises(InputError) as err:
            parse(decision)
        assert err.value.field == "decision_doc_no" and "只能写一行" in err.value.message
