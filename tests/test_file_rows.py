"""An imported file's problems name its rows as the program it is opened in numbers them.

A place-name officer keeps door plates in Excel: the header is row 1, the first plate row 2, and a blank row
between blocks is a row too. Messages once named "第 3 行" for the third record (Excel's row 4) from the import's
checks while the CSV reader's own messages counted the header, so one file's rows were numbered two ways; a GIS
format's features are numbered from 1, as QGIS's attribute table shows them.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
import shapely

from geo.errors import Conflict, InputError, StaleVersion
from geo.io.importer import export_layer, import_file
from geo.store import Store

PLATE_UIDS = ("A2B3C4D5", "E6F7G8H9", "J2K3L4M5")


def _three_plates(store: Store) -> list[int]:
    return store.insert("door_plates", [
        {"plate_uid": uid, "street_name": "锡林郭勒北路", "number": 1 + 2 * i, "households": 100,
         "community_code": "150102001001", "geometry": shapely.Point(111.676 + i * 2e-4, 40.851)}
        for i, uid in enumerate(PLATE_UIDS)], actor="test")


def _csv_with_blank_row(store: Store, folder: Path, change=None) -> Path:
    """Export the plates as CSV, put a blank line after the first plate (Excel row 3) and let ``change`` edit the
    cells of the last plate (Excel row 5)."""
    path = folder / "plates.csv"
    export_layer(store, "door_plates", path)
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    header = lines[0].split(",")
    if change is not None:
        cells = lines[3].split(",")
        for column, value in change.items():
            cells[header.index(column)] = value
        lines[3] = ",".join(cells)
    edited = folder / "edited.csv"
    edited.write_text("\r\n".join([lines[0], lines[1], "", lines[2], lines[3], ",,,,"]) + "\r\n", encoding="utf-8")
    return edited


def _xlsx_with_blank_row(store: Store, folder: Path, change: dict[str, str]) -> Path:
    """The same as a workbook: a blank row 3, the last plate on row 5 edited."""
    path = folder / "plates.xlsx"
    export_layer(store, "door_plates", path)
    book = openpyxl.load_workbook(path)
    sheet = book.active
    header = [cell.value for cell in sheet[1]]
    sheet.insert_rows(3)
    for column, value in change.items():
        sheet.cell(row=5, column=header.index(column) + 1, value=value)
    edited = folder / "edited.xlsx"
    book.save(edited)
    return edited


def test_a_csv_names_the_row_excel_shows(store: Store, tmp_path):
    _three_plates(store)
    before = store.select("door_plates")
    bad_number = _csv_with_blank_row(store, tmp_path, {"households": "很多"})
    with pytest.raises(InputError) as err:
        import_file(store, "door_plates", bad_number, crs="EPSG:4490", actor="t", mode="upsert")
    assert err.value.message.startswith("第 5 行") and "row 5" in err.value.message, err.value.message
    assert err.value.field == "households"
    negative = _csv_with_blank_row(store, tmp_path, {"households": "-3"})
    with pytest.raises(InputError) as err:
        import_file(store, "door_plates", negative, crs="EPSG:4490", actor="t", mode="upsert")
    assert "第 5 行" in err.value.message and "row 5" in err.value.message, err.value.message
    missing = _csv_with_blank_row(store, tmp_path, {"street_name": ""})
    with pytest.raises(InputError) as err:
        import_file(store, "door_plates", missing, crs="EPSG:4490", actor="t", mode="upsert")
    assert "第 5 行" in err.value.message and "row 5" in err.value.message, err.value.message
    assert store.select("door_plates") == before


def test_a_csv_names_excel_rows_for_stored_records(store: Store, tmp_path):
    ids = _three_plates(store)
    unchanged = _csv_with_blank_row(store, tmp_path)
    with pytest.raises(Conflict) as err:  # an insert of rows that are stored: the rows named as Excel shows them
        import_file(store, "door_plates", unchanged, crs="EPSG:4490", actor="t")
    assert "第 2 行" in err.value.message and "第 4 行" in err.value.message and "第 3 行" not in err.value.message
    store.update("door_plates", ids[2], {"households": 7}, expected_version=1, actor="someone else")
    with pytest.raises(StaleVersion) as stale:
        import_file(store, "door_plates", unchanged, crs="EPSG:4490", actor="t", mode="upsert")
    assert stale.value.message.startswith(f"第 5 行（id {ids[2]}）"), stale.value.message
    assert store.get("door_plates", ids[2])["households"] == 7


def test_an_xlsx_names_the_row_excel_shows(store: Store, tmp_path):
    _three_plates(store)
    before = store.select("door_plates")
    edited = _xlsx_with_blank_row(store, tmp_path, {"households": "很多"})
    with pytest.raises(InputError) as err:
        import_file(store, "door_plates", edited, crs="EPSG:4490", actor="t", mode="upsert")
    assert err.value.message.startswith("第 5 行") and "row 5" in err.value.message, err.value.message
    assert store.select("door_plates") == before


def test_a_csv_coordinate_and_a_wkt_problem_name_the_same_rows(tmp_path):
    from geo.io.formats import read_features

    points = tmp_path / "points.csv"
    points.write_text("street_name,number,lon,lat\n新华大街,1,111.7,40.84\n\n新华大街,3,东经,40.84\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_features(points, crs="EPSG:4490")
    assert err.value.message.startswith("第 4 行"), err.value.message
    shapes = tmp_path / "shapes.csv"
    shapes.write_text('street_name,number,wkt\n新华大街,1,POINT (111.7 40.84)\n,,\n新华大街,3,"POINT (111.7"\n',
                      encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_features(shapes, crs="EPSG:4490")
    assert err.value.message.startswith("第 4 行"), err.value.message
    good = tmp_path / "good.csv"
    good.write_text("street_name,number,lon,lat\n新华大街,1,111.7,40.84\n\n,,,\n新华大街,3,111.71,40.84\n",
                    encoding="utf-8")
    frame, info = read_features(good, crs="EPSG:4490")
    assert frame["number"].tolist() == ["1", "3"] and info["file_rows"] == [2, 5]


def test_an_address_csv_counts_its_blank_lines_as_rows(writable_sample_store: Store, tmp_path):
    from geo.addresses.xlsx_import import import_addresses

    store = writable_sample_store
    used = {a["plate_uid"] for a in store.select("addresses")}
    uid = next(p["plate_uid"] for p in store.select("door_plates", where={"status": "active"}, limit=200)
               if p["plate_uid"] not in used)
    before = store.count("addresses")
    rooms = tmp_path / "rooms.csv"
    rooms.write_text(f"门牌编号,楼号,单元,室号\n{uid},7,1,101\n\n{uid},7,1,102\nZZZZZZZZ,7,1,103\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        import_addresses(store, rooms, actor="o")
    assert [d.split("：")[0] for d in err.value.details] == ["第 5 行"], err.value.details
    assert store.count("addresses") == before


def test_a_row_of_another_district_is_refused_naming_its_row(store: Store, tmp_path):
    """A new row whose adcode names another district was refused when written, naming no row; an upsert row whose
    adcode differs from its record's was left out of the changes without a word (review)."""
    from geo.errors import Forbidden

    _three_plates(store)
    before = store.select("door_plates")
    moved = _csv_with_blank_row(store, tmp_path, {"adcode": "159002"})
    with pytest.raises(Forbidden) as err:
        import_file(store, "door_plates", moved, crs="EPSG:4490", actor="t", mode="upsert")
    assert err.value.message.startswith("第 5 行") and "159002" in err.value.message, err.value.message
    assert err.value.field == "adcode"
    new = tmp_path / "new.csv"
    new.write_text("plate_uid,street_name,number,households,adcode,lon,lat\n"
                   "Q2R3S4T5,锡林郭勒北路,7,10,150102,111.6762,40.851\n\n"
                   "Q2R3S4T6,锡林郭勒北路,9,10,159002,111.6764,40.851\n", encoding="utf-8")
    with pytest.raises(Forbidden) as err:
        import_file(store, "door_plates", new, crs="EPSG:4490", actor="t")
    assert err.value.message.startswith("第 4 行") and "159002" in err.value.message, err.value.message
    assert store.select("door_plates") == before


def test_rows_of_spaces_and_blank_rows_above_the_header_are_passed_over(store: Store, tmp_path):
    """A line of one space crashed the import (a 500 over HTTP), a blank first line was read as the header, and an
    empty WKT cell crashed it too (review): blank rows are skipped wherever they are, a row without a geometry is
    refused naming its row."""
    shapes = tmp_path / "stations.csv"
    shapes.write_text("\n \nkind,name,floor_area_m2,wkt\n \nelder_care_station,测试站甲,20,POINT (111.68 40.85)\n"
                      "  ,  ,,\n", encoding="utf-8")
    report = import_file(store, "facilities", shapes, crs="EPSG:4490", actor="t")
    assert report.imported == 1 and store.select("facilities")[0]["name"] == "测试站甲"
    empty = tmp_path / "empty_wkt.csv"
    empty.write_text("kind,name,floor_area_m2,wkt\nelder_care_station,测试站乙,20,POINT (111.68 40.85)\n"
                     "elder_care_station,测试站丙,20,\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        import_file(store, "facilities", empty, crs="EPSG:4490", actor="t")
    assert "第 3 行" in err.value.message and "几何" in err.value.message, err.value.message
    assert store.count("facilities") == 1


def test_an_address_list_with_a_blank_row_above_its_header_is_read(writable_sample_store: Store, tmp_path):
    from geo.addresses.xlsx_import import import_addresses

    store = writable_sample_store
    used = {a["plate_uid"] for a in store.select("addresses")}
    uid = next(p["plate_uid"] for p in store.select("door_plates", where={"status": "active"}, limit=200)
               if p["plate_uid"] not in used)
    rooms = tmp_path / "rooms.csv"
    rooms.write_text(f"\n门牌编号,楼号,单元,室号\n{uid},7,1,101\n", encoding="utf-8")
    assert import_addresses(store, rooms, actor="o")["room"] == 1


@pytest.mark.parametrize("content", ["kind,name,floor_area_m2,wkt\n", "kind,name,floor_area_m2,wkt\n,,,\n \n"])
def test_a_table_without_records_is_refused_not_imported_as_nothing(store: Store, tmp_path, content):
    """A header alone (or only blank rows) imported "0 features" with success: most likely the wrong sheet."""
    path = tmp_path / "empty.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as err:
        import_file(store, "facilities", path, crs="EPSG:4490", actor="t")
    assert err.value.field == "file" and "没有要素" in err.value.message and "empty.csv" in err.value.message
    assert store.count("facilities") == 0


def test_a_record_with_more_cells_than_the_header_is_refused_naming_its_row(store: Store, tmp_path):
    """pandas made the first column the index when every record had one cell more, and read a longitude as a
    latitude; a later record with one cell more was a 500 (review). A trailing empty cell is no cell more; rows of
    empty cells above the header (Excel's ``,,,``) are passed over."""
    shifted = tmp_path / "shifted.csv"
    shifted.write_text("name,kind,floor_area_m2,wkt\n测试站甲,elder_care_station,20,POINT (111.68 40.85)\n\n"
                       "测试站乙,elder_care_station,20,POINT (111.681 40.85),9\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        import_file(store, "facilities", shifted, crs="EPSG:4490", actor="t")
    assert err.value.message.startswith("第 4 行有 5 个单元格，表头只有 4 个"), err.value.message
    trailing = tmp_path / "trailing.csv"
    trailing.write_text(",,,\n , ,\nname,kind,floor_area_m2,wkt\n"
                        "测试站丙,elder_care_station,20,POINT (111.68 40.85),\n", encoding="utf-8")
    assert import_file(store, "facilities", trailing, crs="EPSG:4490", actor="t").imported == 1
    assert [f["name"] for f in store.select("facilities")] == ["测试站丙"]


def test_a_header_with_spaces_names_its_columns_trimmed(store: Store, tmp_path):
    """"kind " in Excel looks like kind: it was refused as a missing column kind (review)."""
    spaced = tmp_path / "spaced.csv"
    spaced.write_text("kind , name , floor_area_m2,wkt\nelder_care_station,测试站丁,20,POINT (111.68 40.85)\n",
                      encoding="utf-8")
    assert import_file(store, "facilities", spaced, crs="EPSG:4490", actor="t").imported == 1


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_a_header_naming_a_column_twice_is_refused_naming_both(store: Store, tmp_path, suffix):
    """Two columns headed name (the second a draft the officer kept): the second was read as ``name.1`` and listed
    as ignored, so the import took the first without a word (review). Refused, naming both columns' letters."""
    header, record = ["name", "kind", "name ", "floor_area_m2", "wkt"], ["测试站戊", "elder_care_station", "草稿",
                                                                         "20", "POINT (111.68 40.85)"]
    path = tmp_path / f"twice.{suffix}"
    if suffix == "csv":
        path.write_text("\n" + ",".join(header) + "\n" + ",".join(record) + "\n", encoding="utf-8")
    else:
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.append([None])
        sheet.append(header)
        sheet.append(record)
        book.save(path)
    with pytest.raises(InputError) as err:
        import_file(store, "facilities", path, crs="EPSG:4490", actor="t")
    assert err.value.message.startswith("第 2 行（表头）中 「name」 出现两次（A 列和 C 列）"), err.value.message
    assert "columns A and C" in err.value.message
    assert not store.count("facilities")


def test_a_title_row_or_data_on_another_sheet_is_named_in_the_refusal(store: Store, tmp_path):
    """A workbook with a merged title row above the header, or its data on the second sheet, was refused as "表中
    没有 x 坐标列" with nothing to say which row was read as the header or that only the first sheet is read."""
    titled = tmp_path / "titled.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "设施"
    sheet.append(["新城区养老设施一览表"])
    sheet.merge_cells("A1:D1")
    sheet.append(["name", "kind", "lon", "lat"])
    sheet.append(["测试站己", "elder_care_station", 111.68, 40.85])
    book.save(titled)
    with pytest.raises(InputError) as err:
        import_file(store, "facilities", titled, crs="EPSG:4490", actor="t")
    assert "（读作表头的是第 1 行：「新城区养老设施一览表」）" in err.value.message, err.value.message
    assert "(row 1 was read as the header:" in err.value.message and "工作表" not in err.value.message

    second = tmp_path / "second.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "说明"
    book.active.append(["本表由民政局填报"])
    data = book.create_sheet("数据")
    data.append(["name", "kind", "lon", "lat"])
    data.append(["测试站庚", "elder_care_station", 111.68, 40.85])
    book.save(second)
    with pytest.raises(InputError) as err:
        import_file(store, "facilities", second, crs="EPSG:4490", actor="t")
    assert "只读取第一个工作表 「说明」，未读取 「数据」" in err.value.message, err.value.message
    assert "only the first sheet, 「说明」, is read; not 「数据」" in err.value.message
    assert not store.count("facilities")


# -- the second review -----------------------------------------------------------------------------------------

def _rewrite_sheet(path: Path, change, *, member: str = "xl/worksheets/sheet1.xml") -> None:
    """Rewrite the first worksheet's XML (or another ``member``) of the workbook at ``path`` with ``change``
    (text → text)."""
    import zipfile

    with zipfile.ZipFile(path) as zin:
        members = {info.filename: zin.read(info.filename) for info in zin.infolist()}
    members[member] = change(members[member].decode("utf-8")).encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in members.items():
            zout.writestr(name, data)


def _saved_by_excel(path: Path) -> None:
    """Take out what openpyxl writes and Excel does not: ``fullCalcOnLoad`` (recompute every formula when opened)."""
    import re

    _rewrite_sheet(path, lambda xml: re.sub(r'\s*fullCalcOnLoad="1"', "", xml), member="xl/workbook.xml")


def test_a_workbook_stating_a_smaller_size_than_its_data_loses_no_column(store: Store, tmp_path):
    """Streaming writers (EasyExcel) state a sheet's size as ``A1``; the header read in openpyxl's read-only mode
    stopped there and the columns past it were dropped without a word (review: a facility's floor area). And a
    header cell holding a formula is what Excel shows, not the formula."""
    import re

    path = tmp_path / "streamed.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["kind", "name", "lon", "lat", "floor_area_m2"])
    book.active.append(["elder_care_station", "测试站辛", 111.68, 40.85, 350])
    book.save(path)
    _rewrite_sheet(path, lambda xml: re.sub(r'<dimension ref="[^"]*"/>', '<dimension ref="A1"/>', xml))
    report = import_file(store, "facilities", path, crs="EPSG:4490", actor="t")
    assert report.imported == 1 and not report.ignored_columns, report
    (stored,) = store.select("facilities")
    assert stored["floor_area_m2"] == 350.0

    formula = tmp_path / "formula.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["kind", "name", "LONGITUDE", "lat"])
    book.active.append(["elder_care_station", "测试站壬", 111.681, 40.85])
    book.save(formula)
    cached = '<c r="C1" t="str"><f>"lon"</f><v>lon</v></c>'  # a formula with the value Excel shows
    _rewrite_sheet(formula, lambda xml: re.sub(r'<c r="C1"[^>]*>.*?</c>', cached, xml))
    _saved_by_excel(formula)
    assert import_file(store, "facilities", formula, crs="EPSG:4490", actor="t").imported == 1


@pytest.mark.parametrize("header", ["kind,name,Lon,lat,LON", "kind,name,lon,lat,lon\u200b",
                                    "\ufefflon,lat,kind,name,\ufefflon"])
def test_a_column_named_twice_in_another_case_or_with_invisible_characters_is_refused(store: Store, tmp_path, header):
    path = tmp_path / "twice.csv"
    cells = {"kind": "elder_care_station", "name": "测试站癸", "lon": "111.68", "lat": "40.85"}
    row = [cells.get(c.strip("\ufeff\u200b").lower(), "") for c in header.split(",")]
    path.write_text(header + "\n" + ",".join(row) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="出现两次"):
        import_file(store, "facilities", path, crs="EPSG:4490", actor="t")
    assert not store.count("facilities")


def test_the_sheets_not_read_are_named_hidden_and_counted(store: Store, tmp_path):
    path = tmp_path / "many.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "说明"
    book.active.append(["说明"])
    for i in range(8):
        book.create_sheet(f"数据{i}").append(["name", "lon", "lat"])
    book["数据0"].sheet_state = "hidden"
    book.save(path)
    with pytest.raises(InputError) as err:
        import_file(store, "facilities", path, crs="EPSG:4490", actor="t")
    assert "只读取第一个工作表 「说明」，未读取 「数据0」（隐藏）" in err.value.message, err.value.message
    assert "等共 8 个" in err.value.message
    assert "「数据0」 (hidden)" in err.value.message and "and 3 more" in err.value.message


def test_an_address_list_without_its_columns_is_told_which_row_was_read_as_the_header(
        writable_sample_store: Store, tmp_path):
    from geo.addresses.xlsx_import import import_addresses

    path = tmp_path / "rooms.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["某小区房屋清单"])
    book.create_sheet("清单").append(["门牌编号", "楼号"])
    book.save(path)
    with pytest.raises(InputError) as err:
        import_addresses(writable_sample_store, path, actor="t")
    assert "读作表头的是第 1 行：「某小区房屋清单」" in err.value.message and "未读取 「清单」" in err.value.message


def test_a_settings_table_is_refused_as_an_import_is():
    from geo.spreadsheet_rows import csv_records

    with pytest.raises(InputError, match="出现两次"):
        csv_records("code,name, name\n1,甲,乙\n")
    with pytest.raises(InputError, match="第 3 行有 3 个单元格"):
        csv_records("code,name\n1,甲\n2,乙,丙\n")
    assert csv_records("\ncode,name\n1,甲\n\n2,乙,\n") == [(3, {"code": "1", "name": "甲"}),
                                                         (5, {"code": "2", "name": "乙"})]


def test_an_echo_shows_control_characters_as_codes():
    """A header cell's ESC sequences set the terminal's title and cleared the screen when the CLI printed the
    refusal (review); bidirectional overrides reorder what an officer reads."""
    from geo.messages import quoted

    shown = quoted("a\x1b]0;pwned\x07\x1b[2Jb\u202ec 蒙古 ᠮᠣᠩᠭᠣᠯ")
    assert shown == "「a\\u001b]0;pwned\\u0007\\u001b[2Jb\\u202ec 蒙古 ᠮᠣᠩᠭᠣᠯ」"


# -- the third review ------------------------------------------------------------------------------------------

def test_a_workbook_whose_first_sheet_is_hidden_is_refused_not_read(store: Store, tmp_path):
    """The import read a hidden first sheet the officer never saw and stored its rows (third review)."""
    path = tmp_path / "hidden.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "旧数据"
    book.active.append(["kind", "name", "lon", "lat"])
    book.active.append(["elder_care_station", "隐藏表里的旧站点", 111.68, 40.85])
    book.active.sheet_state = "hidden"
    shown = book.create_sheet("新数据")
    shown.append(["kind", "name", "lon", "lat"])
    book.active = 1
    book.save(path)
    with pytest.raises(InputError, match="第一个工作表 「旧数据」 是隐藏的"):
        import_file(store, "facilities", path, crs="EPSG:4490", actor="t")
    assert not store.count("facilities")


@pytest.mark.parametrize("header", ["楼号,门牌编号,室号,房号", "楼号,楼,门牌编号",
                                    "building,ｂｕｉｌｄｉｎｇ,门牌编号"])
def test_an_address_list_with_two_columns_for_one_field_is_refused_naming_both(writable_sample_store: Store,
                                                                               tmp_path, header):
    from geo.addresses.xlsx_import import import_addresses

    path = tmp_path / "rooms.csv"
    path.write_text(header + "\n" + ",".join(["1"] * len(header.split(","))) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="都表示") as err:
        import_addresses(writable_sample_store, path, actor="t")
    assert "nothing was imported" in err.value.message


def test_a_settings_table_refusal_names_the_file(tmp_path):
    from geo.placenames.categories import load_census_classes

    path = tmp_path / "census_classes.csv"
    path.write_text("feature_class,generic,census_class,note\nfacility,,单位,站点, 中心\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_census_classes(path)
    assert err.value.field == "census_classes" and str(path) in err.value.message
    assert "第 2 行有 5 个单元格" in err.value.message and "未导入" not in err.value.message


def _facility_book(path: Path, floor_area) -> None:
    book = openpyxl.Workbook()
    book.active.append(["kind", "name", "lon", "lat", "floor_area_m2", "operator"])
    book.active.append(["elder_care_station", "测试站癸", 111.68, 40.85, floor_area, "民政局"])
    book.save(path)


def test_formulas_without_a_saved_value_are_refused_naming_their_cells(store: Store, tmp_path):
    """A workbook a program wrote holds formulas with no value saved beside them; they read as blank, and a floor
    area given as ``=B2*2`` was stored as none (review). Refused naming the cells; the same formula with the value
    Excel saved is imported with that value."""
    import re

    path = tmp_path / "generated.xlsx"
    _facility_book(path, "=100+250")
    with pytest.raises(InputError) as err:
        import_file(store, "facilities", path, crs="EPSG:4490", actor="t")
    zh, _, en = err.value.message.partition(" · ")
    assert "「E2」" in zh and "没有保存计算结果" in zh and "Excel 或 WPS" in zh and "no value saved" in en
    assert err.value.field == "file" and store.count("facilities") == 0

    _rewrite_sheet(path, lambda xml: re.sub(r"<f>100\+250</f><v\s*/?>(</v>)?", "<f>100+250</f><v>350</v>", xml))
    _saved_by_excel(path)
    assert import_file(store, "facilities", path, crs="EPSG:4490", actor="t").imported == 1
    assert store.select("facilities")[0]["floor_area_m2"] == 350.0


def test_a_formula_showing_blank_text_is_a_value_and_an_error_value_is_refused(store: Store, tmp_path):
    """``=""`` saved by Excel is blank text (t="str"), a value; ``#N/A`` of a failed VLOOKUP read as a blank cell, so
    a name was said to be missing and an operator silently dropped (review)."""
    import re

    path = tmp_path / "lookup.xlsx"
    _facility_book(path, 350)
    failed = '<c r="B2" t="e"><f>VLOOKUP(A2,Sheet2!A:B,2,FALSE)</f><v>#N/A</v></c>'
    _rewrite_sheet(path, lambda xml: re.sub(r'<c r="B2"[^>]*>.*?</c>', failed, xml))
    with pytest.raises(InputError) as err:
        import_file(store, "facilities", path, crs="EPSG:4490", actor="t")
    assert "「B2 #N/A」" in err.value.message and "错误值" in err.value.message
    assert store.count("facilities") == 0

    blank = tmp_path / "blank.xlsx"
    _facility_book(blank, 350)
    shown_blank = '<c r="F2" t="str"><f>""</f><v></v></c>'
    _rewrite_sheet(blank, lambda xml: re.sub(r'<c r="F2"[^>]*>.*?</c>', shown_blank, xml))
    _saved_by_excel(blank)
    assert import_file(store, "facilities", blank, crs="EPSG:4490", actor="t").imported == 1
    assert store.select("facilities")[0]["operator"] in (None, "")


def test_a_date_cell_reads_as_the_day_excel_shows(tmp_path):
    """A date typed in Excel read "2024-01-02 00:00:00" into a text column (review)."""
    from datetime import date, datetime

    from geo.spreadsheet_rows import read_xlsx_rows

    path = tmp_path / "dates.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["remarks", "available_from", "seen_at"])
    book.active.append(["2024-01-02 00:00:00 原文", date(2024, 1, 2), datetime(2024, 1, 2, 8, 30)])
    book.save(path)
    frame, rows = read_xlsx_rows(path)
    assert rows == [2]
    assert frame.iloc[0].tolist() == ["2024-01-02 00:00:00 原文", "2024-01-02", "2024-01-02 08:30:00"]


def _sheet_xml(cells: bytes, *, prefix: str = "", padding: int = 0) -> bytes:
    """A worksheet's XML holding one row of ``cells`` after ``padding`` bytes of blank rows' worth of filler."""
    p = f"{prefix}:" if prefix else ""
    ns = f'xmlns{":" + prefix if prefix else ""}="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    head = f'<?xml version="1.0"?><{p}worksheet {ns}><{p}sheetData>'.encode()
    filler = f'<{p}row r="1"><{p}c r="A1" t="inlineStr"><{p}is><{p}t>'.encode() + b"x" * padding + \
        f"</{p}t></{p}is></{p}c></{p}row>".encode()
    return head + filler + f'<{p}row r="2">'.encode() + cells + f"</{p}row></{p}sheetData></{p}worksheet>".encode()


@pytest.mark.parametrize("prefix", ["", "x"])
def test_formula_and_error_cells_are_found_across_reads_with_any_namespace_prefix(tmp_path, prefix):
    """The sheet is read a megabyte at a time: a cell across two reads is found whole; ``<x:f>`` (a prefixed main
    namespace) and ``t = 'e'`` (other quotes and spaces) were passed over (review); an error type on another
    element is no cell's."""
    import zipfile

    from geo.spreadsheet_cells import CHUNK_BYTES, _flagged_cells

    p = f"{prefix}:" if prefix else ""
    cells = (f'<{p}c r="B2"><{p}f>100+250</{p}f><{p}v></{p}v></{p}c>'
             f"<{p}c r='C2' t = 'e'><{p}v>#N/A</{p}v></{p}c>"
             f'<{p}c r="D2" t="str"><{p}f>""</{p}f><{p}v></{p}v></{p}c>'
             f'<{p}c r="E2"><{p}v>7</{p}v></{p}c>').encode()
    path = tmp_path / "sheets.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for padding in (0, CHUNK_BYTES - 250, CHUNK_BYTES - 120, CHUNK_BYTES - 60, 3 * CHUNK_BYTES):
            archive.writestr(f"sheet{padding}.xml", _sheet_xml(cells, prefix=prefix, padding=padding))
        archive.writestr("other.xml", _sheet_xml(f'<{p}c r="B2"><{p}v>1</{p}v></{p}c>'.encode(), prefix=prefix)
                         .replace(b"<" + p.encode() + b"sheetData>", b'<extLst t="e"/><' + p.encode() + b"sheetData>"))
        names = archive.namelist()
    with zipfile.ZipFile(path) as archive:
        for name in names[:-1]:
            found = {(c.ref, c.formula, c.error, c.value) for c in _flagged_cells(archive, name, formulas=True)}
            assert found == {("B2", True, False, ""), ("C2", False, True, "#N/A"), ("D2", True, False, "")}, name
            errors_only = [c.ref for c in _flagged_cells(archive, name, formulas=False)]
            assert errors_only == ["C2"], name
        assert list(_flagged_cells(archive, "other.xml", formulas=True)) == []


def test_an_address_list_names_each_formula_by_row_and_refuses_an_error_value(writable_sample_store: Store, tmp_path):
    """The address import refuses every formula itself, by row and field (F2): the workbook check leaves formulas to
    it, but still refuses a cell holding an error value, which read as blank."""
    import re

    from geo.addresses import import_addresses

    store = writable_sample_store
    plate = store.select("door_plates", where={"status": "active"}, limit=1)[0]
    book = openpyxl.Workbook()
    book.active.append(["街路巷", "门牌号", "楼号", "单元", "室号"])
    book.active.append([plate["street_name"], str(plate["number"]), "88号楼", "1单元", "=100+2"])
    path = tmp_path / "rooms.xlsx"
    book.save(path)
    count = store.count("addresses")
    with pytest.raises(InputError) as by_row:
        import_addresses(store, path, actor="o")
    (detail,) = by_row.value.details
    assert detail.startswith("第 2 行") and "是公式" in detail

    book = openpyxl.Workbook()
    book.active.append(["街路巷", "门牌号", "楼号", "单元", "室号"])
    book.active.append([plate["street_name"], str(plate["number"]), "88号楼", "1单元", "102"])
    book.save(path)
    _rewrite_sheet(path, lambda xml: re.sub(r'<c r="C2"[^>]*>.*?</c>', '<c r="C2" t="e"><v>#REF!</v></c>', xml))
    with pytest.raises(InputError) as error:
        import_addresses(store, path, actor="o")
    assert "「C2 #REF!」" in error.value.message
    assert store.count("addresses") == count


def test_a_workbook_asking_to_be_recalculated_is_refused_for_its_placeholder_values(store: Store, tmp_path):
    """XlsxWriter saves 0 beside every formula and sets ``fullCalcOnLoad``: the floor area ``=100+250`` was stored as
    0, which planning reads as a real area (review)."""
    import re

    path = tmp_path / "xlsxwriter.xlsx"
    _facility_book(path, "=100+250")
    _rewrite_sheet(path, lambda xml: re.sub(r"<f>100\+250</f><v\s*/?>(</v>)?", "<f>100+250</f><v>0</v>", xml))
    _rewrite_sheet(path, lambda xml: re.sub(r"<calcPr[^>]*/>", "", xml).replace(
        "</workbook>", '<calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>'), member="xl/workbook.xml")
    with pytest.raises(InputError) as err:
        import_file(store, "facilities", path, crs="EPSG:4490", actor="t")
    assert "「E2」" in err.value.message and "重新计算" in err.value.message
    assert store.count("facilities") == 0


def test_cells_without_references_are_named_by_their_place(store: Store, tmp_path):
    """Cells may leave out their ``r`` (openpyxl reads them by place): a refusal named them 「None #N/A」 (review)."""
    import re

    path = tmp_path / "unreferenced.xlsx"
    _facility_book(path, 350)
    _rewrite_sheet(path, lambda xml: re.sub(r'<c r="F2"[^>]*>.*?</c>', '<c t="e"><v>#N/A</v></c>', xml))
    with pytest.raises(InputError) as err:
        import_file(store, "facilities", path, crs="EPSG:4490", actor="t")
    assert "「F2 #N/A」" in err.value.message, err.value.message


@pytest.mark.parametrize("broken", ['<c r="E2"><v>2</v></c><c r="F2" t="inlineStr"><is><t>x</x:t></is></c>',
                                    '<c r="E2"><v>2</v></c><c r="F2" t="s"><v>0</v><<</c>'])
def test_a_sheet_of_broken_xml_is_refused_not_an_internal_error(writable_server, tmp_path, broken):
    """Broken XML beside a formula raised ElementTree's ParseError: a 500 from the API, a traceback from the CLI
    (review)."""
    import re

    import httpx

    from tests.test_api import _token

    path = tmp_path / "broken.xlsx"
    _facility_book(path, 350)
    _rewrite_sheet(path, lambda xml: re.sub(r'<c r="E2"[^>]*>.*?</c><c r="F2"[^>]*>.*?</c>', broken, xml))
    r = httpx.post(f"{writable_server}/api/layers/facilities/import", params={"crs": "EPSG:4490", "format": "xlsx"},
                   headers=_token(writable_server, "admin"), content=path.read_bytes(), timeout=60)
    assert r.status_code == 400, r.text
    assert r.json()["message"].startswith("工作簿 「") and "的内容已损坏" in r.json()["message"]
    assert r.json()["field"] == "file"


def test_a_strict_open_xml_workbook_is_told_to_be_saved_as_an_ordinary_one(store: Store, tmp_path):
    path = tmp_path / "strict.xlsx"
    _facility_book(path, 350)
    strict = "http://purl.oclc.org/ooxml/spreadsheetml/main"
    for member in ("xl/workbook.xml", "xl/worksheets/sheet1.xml"):
        _rewrite_sheet(path, lambda xml: xml.replace("http://schemas.openxmlformats.org/spreadsheetml/2006/main",
                                                     strict), member=member)
    with pytest.raises(InputError) as err:
        import_file(store, "facilities", path, crs="EPSG:4490", actor="t")
    assert "Strict Open XML" in err.value.message and "另存为" in err.value.message


@pytest.mark.parametrize("filler", ["self-closing cells", "one huge cell"])
def test_a_formula_after_a_long_stretch_without_a_closing_cell_tag_is_found(tmp_path, filler):
    """The sheet is cut between cells, after ``</c>`` or a self-closing cell: a sheet of formatted empty cells
    (``<c r="A1" s="1"/>``, no ``</c>`` for megabytes) or one huge cell is read whole, and a formula whose ``<v/>``
    closes inside its cell is not cut there."""
    import zipfile

    from geo.spreadsheet_cells import CHUNK_BYTES, _flagged_cells

    if filler == "self-closing cells":
        body = b"".join(b'<row r="%d"><c r="A%d" s="1"/></row>' % (i, i) for i in range(1, 100_000))
    else:
        body = b'<row r="1"><c r="A1" t="inlineStr"><is><t>' + b"y" * (3 * CHUNK_BYTES) + b"</t></is></c></row>"
    head = b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    tail = b'<row r="100000"><c r="B100000"><f>1+1</f><v/></c></row></sheetData></worksheet>'
    path = tmp_path / "x.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("sheet.xml", head + b"<sheetData>" + body + tail)
    with zipfile.ZipFile(path) as archive:
        found = [(c.ref, c.formula, c.value) for c in _flagged_cells(archive, "sheet.xml", formulas=True)]
    assert found == [("B100000", True, None)]


def test_the_workbook_part_is_the_one_the_package_names_and_a_corrupt_sheet_is_refused(store: Store, tmp_path):
    """``fullCalcOnLoad`` was read from whichever member called workbook.xml came first (a customXml/workbook.xml put
    first let XlsxWriter's placeholder 0 in), and a sheet whose compressed bytes are corrupt raised zlib's error, a
    500 (second review)."""
    import re
    import zipfile

    path = tmp_path / "xlsxwriter.xlsx"
    _facility_book(path, "=100+250")
    _rewrite_sheet(path, lambda xml: re.sub(r"<f>100\+250</f><v\s*/?>(</v>)?", "<f>100+250</f><v>0</v>", xml))
    with zipfile.ZipFile(path) as zin:
        members = [(info.filename, zin.read(info.filename)) for info in zin.infolist()]
    decoy = tmp_path / "decoy.xlsx"
    with zipfile.ZipFile(decoy, "w", zipfile.ZIP_DEFLATED) as zout:
        zout.writestr("customXml/workbook.xml", b"<workbook/>")  # first: no fullCalcOnLoad in it
        for name, data in members:
            zout.writestr(name, data)
    with pytest.raises(InputError) as err:
        import_file(store, "facilities", decoy, crs="EPSG:4490", actor="t")
    assert "重新计算" in err.value.message

    corrupt = tmp_path / "corrupt.xlsx"
    with zipfile.ZipFile(corrupt, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in members:
            zout.writestr(name, data)
    raw = bytearray(corrupt.read_bytes())
    with zipfile.ZipFile(corrupt) as zin:
        info = zin.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    raw[start:start + 8] = b"\xff" * 8  # the deflate stream's first bytes: not a valid block
    corrupt.write_bytes(bytes(raw))
    with pytest.raises(InputError) as broken:
        import_file(store, "facilities", corrupt, crs="EPSG:4490", actor="t")
    assert broken.value.field == "file" and broken.value.message.startswith("工作簿 「corrupt.xlsx」 的内容已损坏")
    assert store.count("facilities") == 0


def test_an_address_list_stating_a_smaller_size_refuses_each_formula_by_row(writable_sample_store: Store, tmp_path):
    """A workbook stating its size as ``A1`` (POI's streaming writer, EasyExcel): the address import's own formula
    check read column A only, and a unit given as a formula with no value was dropped, its rooms stored under the
    building, their ids used up (second review)."""
    import re

    from geo.addresses import import_addresses

    store = writable_sample_store
    plate = store.select("door_plates", where={"status": "active"}, limit=1)[0]
    book = openpyxl.Workbook()
    book.active.append(["街路巷", "门牌号", "楼号", "单元", "室号"])
    book.active.append([plate["street_name"], str(plate["number"]), "9号楼", '="2单元"', "101"])
    book.active.append([plate["street_name"], str(plate["number"]), "9号楼", '="2单元"', "102"])
    path = tmp_path / "poi.xlsx"
    book.save(path)
    _rewrite_sheet(path, lambda xml: re.sub(r'<dimension ref="[^"]*"/>', '<dimension ref="A1"/>', xml))
    count = store.count("addresses")
    with pytest.raises(InputError) as refused:
        import_addresses(store, path, actor="o")
    assert [d[:6] for d in refused.value.details] == ["第 2 行：", "第 3 行："], refused.value.details
    assert all("单元号 unit 是公式" in d for d in refused.value.details), refused.value.details
    assert store.count("addresses") == count


def test_a_workbook_whose_part_has_another_name_is_read(store: Store, tmp_path):
    """pandas took a workbook without ``xl/workbook.xml`` for a plain zip ("无法读取 XLSX 文件 …：'zip'"): the
    package names its workbook part, here ``xl/book.xml`` (second review)."""
    import zipfile

    path = tmp_path / "book.xlsx"
    _facility_book(path, 350)
    with zipfile.ZipFile(path) as zin:
        members = [(info.filename, zin.read(info.filename)) for info in zin.infolist()]
    renamed = tmp_path / "renamed.xlsx"
    with zipfile.ZipFile(renamed, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in members:
            data = data.replace(b"xl/workbook.xml", b"xl/book.xml").replace(b'"/xl/workbook.xml"', b'"/xl/book.xml"')
            zout.writestr("xl/book.xml" if name == "xl/workbook.xml" else
                          "xl/_rels/book.xml.rels" if name == "xl/_rels/workbook.xml.rels" else name, data)
    assert import_file(store, "facilities", renamed, crs="EPSG:4490", actor="t").imported == 1


MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


@pytest.mark.parametrize("layout", ["cells prefixed, root not", "root prefixed, cells not"])
def test_cells_under_another_prefix_than_the_sheets_root_are_still_read(store: Store, tmp_path, layout):
    """openpyxl reads ``<x:c>`` cells in a sheet whose root is ``<worksheet>`` (and the other way round); the byte
    scan looked for the root's prefix only and let a formula without a value through (second review)."""
    def cell(p: str, ref: str, body: str, kind: str = "") -> str:
        return f'<{p}c r="{ref}"{f" t={chr(34)}{kind}{chr(34)}" if kind else ""}>{body}</{p}c>'

    def text_cell(p: str, ref: str, value: str) -> str:
        return cell(p, ref, f"<{p}is><{p}t>{value}</{p}t></{p}is>", "inlineStr")

    if layout == "cells prefixed, root not":
        root, inner, p = f'<worksheet xmlns="{MAIN_NS}" xmlns:x="{MAIN_NS}">', "<sheetData>", "x:"
        close = "</sheetData></worksheet>"
    else:
        root, inner, p = f'<x:worksheet xmlns:x="{MAIN_NS}">', f'<sheetData xmlns="{MAIN_NS}">', ""
        close = "</sheetData></x:worksheet>"
    header = "".join(text_cell(p, f"{c}1", v) for c, v in zip("ABCDE", ["kind", "name", "lon", "lat", "floor_area_m2"],
                                                                strict=True))
    row = (text_cell(p, "A2", "elder_care_station") + text_cell(p, "B2", "测试站")
           + cell(p, "C2", f"<{p}v>111.68</{p}v>") + cell(p, "D2", f"<{p}v>40.85</{p}v>")
           + cell(p, "E2", f"<{p}f>100+250</{p}f><{p}v></{p}v>"))
    xml = f'<?xml version="1.0"?>{root}{inner}<{p}row r="1">{header}</{p}row><{p}row r="2">{row}</{p}row>{close}'
    path = tmp_path / "prefixed.xlsx"
    _facility_book(path, 350)
    _rewrite_sheet(path, lambda _old: xml)
    with pytest.raises(InputError) as err:
        import_file(store, "facilities", path, crs="EPSG:4490", actor="t")
    assert "「E2」" in err.value.message, err.value.message
    assert store.count("facilities") == 0


def _repacked(path: Path, out: Path, *, method: int = 8, patch=None) -> Path:
    """Write ``path``'s members to ``out`` with the sheet compressed by ``method`` (zipfile's constant), then let
    ``patch`` change the archive's bytes given the sheet's local header offset and central directory offset."""
    import zipfile

    with zipfile.ZipFile(path) as zin:
        members = [(info.filename, zin.read(info.filename)) for info in zin.infolist()]
    sheet = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(out, "w") as zout:
        for name, data in members:
            zout.writestr(name, data, compress_type=method if name == sheet else zipfile.ZIP_DEFLATED)
    if patch is not None:
        raw = bytearray(out.read_bytes())
        with zipfile.ZipFile(out) as zin:
            info = zin.getinfo(sheet)
        central = next(i for i in range(len(raw)) if raw[i:i + 4] == b"PK\x01\x02"
                       and raw[i + 46:i + 46 + len(sheet)] == sheet.encode())
        patch(raw, info.header_offset, central, info)
        out.write_bytes(bytes(raw))
    return out


@pytest.mark.parametrize("damage", ["lzma corrupt", "bzip2 corrupt", "method 99", "encrypted flag", "bad crc",
                                    "no sheet part", "no content types", "cut short"])
def test_a_workbook_broken_inside_its_zip_is_refused_in_chinese(writable_sample_store: Store, tmp_path, damage):
    """Each was a 500 from the API and a traceback from the CLI, or "须为 .xlsx" from the address import (third
    review), or Python's English ("There is no item named …": fourth review): the officer is told which workbook is
    broken and to save it again."""
    import struct
    import zipfile

    from geo.addresses import import_addresses

    store = writable_sample_store
    path = tmp_path / "book.xlsx"
    _facility_book(path, 350)

    def data_start(raw: bytearray, local: int, info) -> int:
        return local + 30 + struct.unpack_from("<H", raw, local + 26)[0] + struct.unpack_from("<H", raw, local + 28)[0]

    def corrupt(raw, local, _central, info):
        start = data_start(raw, local, info)
        raw[start + 4:start + 40] = b"\xa5" * 36

    def method_99(raw, local, central, _info):
        struct.pack_into("<H", raw, local + 8, 99)
        struct.pack_into("<H", raw, central + 10, 99)

    def encrypted(raw, local, central, _info):
        raw[local + 6] |= 1
        raw[central + 8] |= 1

    def bad_crc(raw, local, central, _info):
        struct.pack_into("<I", raw, local + 14, 0x12345678)
        struct.pack_into("<I", raw, central + 16, 0x12345678)

    broken = tmp_path / "broken.xlsx"
    if damage in ("no sheet part", "no content types"):
        gone = {"no sheet part": "xl/worksheets/sheet1.xml", "no content types": "[Content_Types].xml"}[damage]
        with zipfile.ZipFile(path) as zin, zipfile.ZipFile(broken, "w", zipfile.ZIP_DEFLATED) as zout:
            for info in zin.infolist():
                if info.filename != gone:
                    zout.writestr(info.filename, zin.read(info.filename))
    elif damage == "cut short":  # a download stopped half-way
        broken.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    else:
        method, patch = {"lzma corrupt": (zipfile.ZIP_LZMA, corrupt), "bzip2 corrupt": (zipfile.ZIP_BZIP2, corrupt),
                         "method 99": (zipfile.ZIP_DEFLATED, method_99),
                         "encrypted flag": (zipfile.ZIP_DEFLATED, encrypted),
                         "bad crc": (zipfile.ZIP_DEFLATED, bad_crc)}[damage]
        _repacked(path, broken, method=method, patch=patch)
    before = store.count("facilities"), store.count("addresses")
    for importer, shown in ((lambda: import_file(store, "facilities", broken, crs="EPSG:4490", actor="t"),
                             "broken.xlsx"),
                            (lambda: import_addresses(store, broken, actor="o", name="开发商.xlsx"), "开发商.xlsx")):
        with pytest.raises(InputError) as err:
            importer()
        assert err.value.message.startswith(f"工作簿 「{shown}」 的内容已损坏"), err.value.message
    assert (store.count("facilities"), store.count("addresses")) == before


def test_the_workbook_part_is_the_one_openpyxl_reads(store: Store, tmp_path):
    """The relationships' target read by hand (``./xl/workbook.xml`` is a legal target) missed the part openpyxl
    reads, and XlsxWriter's placeholder 0 was stored (third review)."""
    import re

    path = tmp_path / "xlsxwriter.xlsx"
    _facility_book(path, "=100+250")
    _rewrite_sheet(path, lambda xml: re.sub(r"<f>100\+250</f><v\s*/?>(</v>)?", "<f>100+250</f><v>0</v>", xml))
    _rewrite_sheet(path, lambda xml: xml.replace('Target="/xl/workbook.xml"', 'Target="./xl/workbook.xml"')
                   .replace('Target="xl/workbook.xml"', 'Target="./xl/workbook.xml"'), member="_rels/.rels")
    with pytest.raises(InputError) as err:
        import_file(store, "facilities", path, crs="EPSG:4490", actor="t")
    assert "重新计算" in err.value.message
    assert store.count("facilities") == 0


def test_a_file_that_cannot_be_opened_is_not_called_a_broken_workbook(tmp_path):
    """Only what breaks inside a workbook is "broken": a missing path or a folder is the caller's to say (fourth
    review: every OSError, RuntimeError and NotImplementedError read as "re-save it in Excel")."""
    from geo.spreadsheet_rows import is_broken_workbook, read_xlsx_rows

    with pytest.raises(FileNotFoundError):
        read_xlsx_rows(tmp_path / "nothing.xlsx")
    with pytest.raises(IsADirectoryError):
        read_xlsx_rows(tmp_path)
    assert not is_broken_workbook(RecursionError("maximum recursion depth exceeded"))
    assert not is_broken_workbook(OSError(28, "No space left on device"))
    assert not is_broken_workbook(NotImplementedError("a program's own gap"))
    assert is_broken_workbook(OSError("Invalid data stream")) and is_broken_workbook(KeyError("xl/x.xml"))


@pytest.mark.parametrize(("cell", "stored"), [
    ('<is><t><![CDATA[民政局<f>1+1</f>]]></t></is>', "民政局<f>1+1</f>"),
    ("<!-- <f>1</f> --><is><t>民政局</t></is>", "民政局"),  # second review: a comment, an instruction
    ("<?note <f>1</f>?><is><t>民政局</t></is>", "民政局")], ids=["cdata", "comment", "instruction"])
def test_text_that_reads_like_a_formula_tag_inside_cdata_is_text(store: Store, tmp_path, cell, stored):
    """Carried from a review: the quick scan for formula cells matched ``<f>`` inside a CDATA section, which is text
    (a program may write an inline string so), and refused a good workbook that asks to be recalculated; so did a
    comment or a processing instruction holding it."""
    import re

    path = tmp_path / "cdata.xlsx"
    _facility_book(path, 350)
    _rewrite_sheet(path, lambda xml: re.sub(r'<c r="F2"[^>]*>.*?</c>', f'<c r="F2" t="inlineStr">{cell}</c>', xml))
    _rewrite_sheet(path, lambda xml: re.sub(r"<calcPr[^>]*/>", "", xml).replace(
        "</workbook>", '<calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>'), member="xl/workbook.xml")
    assert import_file(store, "facilities", path, crs="EPSG:4490", actor="t").imported == 1
    assert store.select("facilities")[0]["operator"] == stored
