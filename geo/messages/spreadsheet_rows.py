"""Messages of reading a CSV or XLSX table by its rows (geo.spreadsheet_rows)."""

from __future__ import annotations

from geo.messages import Message

MESSAGES = {
    "spreadsheet_rows.header_hint": Message("（读作表头的是第 {row} 行：{columns}）",
                                            " (row {row} was read as the header: {columns})"),
    "spreadsheet_rows.first_sheet_only": Message("（只读取第一个工作表 {first}，未读取 {others}）",
                                                 " (only the first sheet, {first}, is read; not {others})"),
    "spreadsheet_rows.hidden_first_sheet": Message(
        "工作簿的第一个工作表 {sheet} 是隐藏的：导入只读第一个工作表，请取消隐藏核对或删除它，未导入任何内容",
        "the workbook's first sheet, {sheet}, is hidden: an import reads the first sheet only; unhide it to check it "
        "or delete it; nothing was imported"),
    "spreadsheet_rows.duplicate_header": Message(
        "第 {row} 行（表头）中 {name} 出现两次（{first} 列和 {second} 列）：请删除或改名其一，未导入任何内容",
        "the header (row {row}) names {name} twice (columns {first} and {second}): remove or rename one; nothing was "
        "imported"),
    "spreadsheet_rows.extra_cells": Message(
        "第 {row} 行有 {cells} 个单元格，表头只有 {header} 个：请检查该行是否多了逗号或错了列，未导入任何内容",
        "row {row} has {cells} cells but the header only {header}: check the row for an extra comma or a shifted "
        "column; nothing was imported"),
}
