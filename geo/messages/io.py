"""Messages of imports and exports: rows that cannot be read, identities, versions, file formats."""

from __future__ import annotations

from geo.messages import Message

MESSAGES = {
    "io.value_type": Message("{field} 须为{kind}，收到 {value}", "{field} must be {kind}; got {value}"),
    "io.kind_int": Message("整数", "a whole number"),
    "io.kind_float": Message("有限数值", "a finite number"),
    "io.kind_bool": Message("是/否", "true or false"),
    "io.kind_date": Message("日期（YYYY-MM-DD）", "a date (YYYY-MM-DD)"),
    "io.kind_str": Message("文本", "text"),
    "io.empty_value": Message("{field} 为空（或只有不可见字符）", "{field} is empty (or only invisible characters)"),
    "io.adcode": Message("{field} 须为 6 位数字，收到 {value}", "{field} must be 6 digits; got {value}"),
    "io.unique": Message("导入违反 {layer} 的唯一性约束，未导入任何内容：{reason}",
                         "the import breaks a uniqueness rule of {layer}: {reason}; nothing was imported"),
    "io.adcode_changed": Message(
        "{record} 属于区县 {district}，文件中的行政区划代码 adcode 却是 {value}："
        "导入不能把记录移到另一区县，未导入任何内容",
        "{record} belongs to district {district} but the file's adcode says {value}: an import moves no record to "
        "another district; nothing was imported"),
    "io.no_records": Message("{name} 中没有要素（表头之下没有数据行）：未导入任何内容；请检查文件或工作表是否选对",
                             "{name} holds no features (no data rows under the header): nothing was imported; check "
                             "that it is the right file or sheet"),
    "io.own_reference_outline": Message(
        "{layer} 的 {code} 在本库中是邻区参考界线（各区县共读，不属任何区县）：本区的首次导入还不能接管它；请在不含这条"
        "参考界线的数据库中添加本区（DEPLOYMENT.md「Adding a district」），未导入任何内容",
        "{code} of {layer} is a neighbour's reference outline in this database (read by every district, nobody's "
        "own): a district's first load cannot take it over yet; add the district to a database that does not hold "
        "that outline (DEPLOYMENT.md \"Adding a district\"); nothing was imported"),
    "io.reference_row": Message(
        "{record} 是{what}：各区县共读，任何区县都不能修改（改动了 {fields}）；"
        "请从文件中删去此行或撤销改动，未导入任何内容",
        "{record} is a neighbouring district's reference outline (status {what}), read by every district and changed "
        "by none (the row changes {fields}); remove the row or undo its change; nothing was imported"),
    "io.same_record_twice": Message(
        "第 {row} 行与第 {other} 行指向同一条记录（id {id}），未导入任何内容",
        "rows {row} and {other} both name the stored record {id}; nothing was imported"),
    "io.version_missing": Message(
        "第 {row} 行（id {id}）没有 version：文件带 version 列时每行都须有；请重新导出",
        "row {row} (id {id}) has no version although the file has a version column; export again"),
    "io.version_behind": Message(
        "第 {row} 行（id {id}）的 version 是 {sent}，库中已是 {now}：导出后记录已被修改，整个文件未导入（共 {count} 行"
        "过时）。请重新导出后再修改",
        "row {row} (id {id}) carries version {sent} but the stored record is at version {now}: it changed after the "
        "export, so nothing was imported ({count} stale row(s)); export again and reapply your changes"),
    "io.version_ahead": Message(
        "第 {row} 行（id {id}）的 version 是 {sent}，高于库中的 {now}：这个文件不是从本库的当前记录导出的（可能来自"
        "另一个库，或本库已从较早的备份恢复），整个文件未导入（共 {count} 行版本不符）。请从本库重新导出后再修改",
        "row {row} (id {id}) carries version {sent}, above the stored record's {now}: the file was not exported from "
        "this database's current records (it may come from another database, or this one was restored from an "
        "earlier backup), so nothing was imported ({count} row(s) with another version); export again from this "
        "database and reapply your changes"),
    "io.version_mixed": Message(
        "第 {row} 行（id {id}）的 version 是 {sent}，库中是 {now}：文件中 {behind} 行的 version 低于库中（导出后记录"
        "已被修改），{ahead} 行高于库中（不是从本库的当前记录导出的），整个文件未导入（共 {count} 行版本不符）。"
        "请从本库重新导出后再修改",
        "row {row} (id {id}) carries version {sent} where the stored record is at {now}: {behind} row(s) of the file "
        "are below the stored version (changed after the export) and {ahead} above it (not exported from this "
        "database's current records), so nothing was imported ({count} row(s) with another version); export again "
        "from this database and reapply your changes"),
    "io.version_integer": Message("{field} 须为 1 到 {most} 的整数（导出文件中的版本号），收到 {value}",
                                  "{field} must be a whole number from 1 to {most} (the version an export wrote); "
                                  "got {value}"),
    "io.mode": Message("导入模式 {field} 须为 {allowed} 之一，收到 {value}",
                       "{field} must be one of {allowed}; got {value}"),
    "io.xlsx_cell": Message("此图层有几何超出 XLSX 单元格容量（{limit} 个字符）：请导出为 GeoPackage",
                            "a geometry of this layer is longer than an XLSX cell holds ({limit} characters): "
                            "export it as GeoPackage"),
    "io.shapefile_types": Message("Shapefile 只能容纳一种几何类型，此图层有 {types}：请导出为 GeoPackage",
                                  "a Shapefile holds one geometry type; this layer has {types}: export it as "
                                  "GeoPackage"),
}
