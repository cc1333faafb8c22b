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
    "spreadsheet_rows.formula_without_value": Message(
        "第一个工作表有 {count} 个公式单元格没有保存计算结果（{cells}）："
        "文件由程序生成、未在 Excel 或 WPS 中打开保存过，这些单元格会读成空白；"
        "请在 Excel 或 WPS 中打开、保存后再导入，未导入任何内容",
        "formula cells of the first sheet with no value saved with them: {count} ({cells}); a program wrote the file "
        "and no one saved it in Excel or WPS, so they would read as blank; open and save it there, then import it "
        "again; nothing was imported"),
    "spreadsheet_rows.formula_recalculated": Message(
        "第一个工作表有 {count} 个公式单元格（{cells}），而文件要求打开时重新计算公式：它由程序生成，保存的值只是占位，"
        "不可信；请在 Excel 或 WPS 中打开、保存后再导入，未导入任何内容",
        "formula cells of the first sheet: {count} ({cells}), in a workbook that asks to be recalculated when "
        "opened: a program wrote it and the values saved are placeholders; open and save it in Excel or WPS, then "
        "import it again; nothing was imported"),
    "spreadsheet_rows.broken_sheet": Message(
        "工作簿 {name} 的内容已损坏，无法读取：请在 Excel 或 WPS 中打开、另存为 Excel 工作簿 (*.xlsx) 后再导入，"
        "未导入任何内容",
        "the workbook {name} is broken inside and cannot be read: open it in Excel or WPS, save it as an Excel "
        "workbook (*.xlsx), then import it again; nothing was imported"),
    "spreadsheet_rows.strict_ooxml": Message(
        "这是「Strict Open XML 电子表格」格式的工作簿，导入读不了："
        "请在 Excel 中另存为「Excel 工作簿 (*.xlsx)」后再导入，未导入任何内容",
        "this workbook is in the Strict Open XML format, which the import cannot read: save it in Excel as an "
        "\"Excel Workbook (*.xlsx)\", then import it again; nothing was imported"),
    "spreadsheet_rows.error_value": Message(
        "第一个工作表有 {count} 个单元格是错误值（{cells}），如查找不到的 #N/A：请改正后再导入，未导入任何内容",
        "cells of the first sheet holding an error value, such as #N/A from a failed lookup: {count} ({cells}); "
        "correct them, then import again; nothing was imported"),
    "spreadsheet_rows.extra_cells": Message(
        "第 {row} 行有 {cells} 个单元格，表头只有 {header} 个：请检查该行是否多了逗号或错了列，未导入任何内容",
        "row {row} has {cells} cells but the header only {header}: check the row for an extra comma or a shifted "
        "column; nothing was imported"),
}
