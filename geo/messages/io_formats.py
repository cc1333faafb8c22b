"""Messages of reading and writing feature files (geo/io/formats.py): formats, encodings, archives,
GeoJSON, GeoPackage, Shapefile and table files. The English halves are those the readers gave
before the catalogue; the Chinese halves name the same values."""

from __future__ import annotations

from geo.messages import Message

MESSAGES = {
    # formats and files
    "io_formats.format_choice": Message("格式须为 {formats} 之一，收到 {value}",
                                        "format must be one of {formats}; got {value}"),
    "io_formats.format_unknown": Message("无法判断 {name} 的格式，请指明 {formats} 之一",
                                         "cannot tell the format of {name}; name it with one of {formats}"),
    "io_formats.no_file": Message("文件不存在：{name}", "no file {name}"),
    "io_formats.no_geometry": Message("文件中的图层没有几何：{name}", "the layer in the file has no geometry: {name}"),
    "io_formats.crs_mismatch": Message("文件声明的坐标系是 {declared}，与所给的 {stated} 不符",
                                       "the file declares {declared} but the stated source CRS is {stated}"),
    # text encodings
    "io_formats.not_text": Message("{what}不是有效的 {encoding} 文本（偏移 {offset} 处的字节 0x{byte:02X}）",
                                   "{what} is not valid {encoding} text (byte 0x{byte:02X} at offset {offset})."),
    "io_formats.looks_gb18030": Message("看来是 GBK/GB 18030 编码",
                                        "It looks like GBK/GB 18030: state encoding gb18030."),
    "io_formats.import_encoding": Message("导入编码只能是 UTF-8、UTF-8-SIG、GBK、GB2312 或 GB18030，收到 {value}",
                                          "encoding must be one of UTF-8, UTF-8-SIG, GBK, GB2312, GB18030; "
                                          "got {value}"),
    "io_formats.export_encoding": Message("导出编码只能是 UTF-8、GBK、GB2312 或 GB18030，收到 {value}",
                                          "encoding must be one of UTF-8, GBK, GB2312, GB18030; got {value}"),
    "io_formats.not_encodable": Message(
        "第 {row} 行 {column} 中的字符 {char}（U+{code:04X}）无法用 {encoding} 表示，请改用 GB18030 或 UTF-8",
        "row {row}, {column}: {char} (U+{code:04X}) cannot be written in {encoding}; export as GB18030 or UTF-8"),
    # GeoJSON
    "io_formats.geojson_depth": Message("GeoJSON 嵌套过深：{depth} 层，上限 {limit} 层",
                                        "the GeoJSON nests {depth} levels deep; at most {limit} are accepted"),
    "io_formats.geojson_recursion": Message("GeoJSON 嵌套过深（超过 {limit} 层）",
                                            "the GeoJSON nests more than {limit} levels deep"),
    "io_formats.geojson_broken": Message("GeoJSON 格式错误（第 {line} 行第 {column} 列：{problem}）",
                                         "broken GeoJSON: {problem} at line {line}, column {column}"),
    "io_formats.geojson_number": Message("GeoJSON 含无法读取的数值：{problem}",
                                         "the GeoJSON holds a number that cannot be read: {problem}"),
    "io_formats.geojson_collection": Message("GeoJSON 须为带 features 列表的 FeatureCollection",
                                             "GeoJSON must be a FeatureCollection with a features list"),
    "io_formats.geojson_feature": Message("第 {number} 个要素不是 GeoJSON Feature",
                                          "feature {number} is not a GeoJSON Feature"),
    "io_formats.geojson_geometry": Message("第 {number} 个要素的几何有误：{problem}",
                                           "feature {number} has a broken geometry: {problem}"),
    # GeoPackage
    "io_formats.gpkg_invalid": Message("不是有效的 GeoPackage 文件：{name}", "not a valid GeoPackage: {name}"),
    "io_formats.gpkg_views": Message("GeoPackage 只能包含数据表，不能包含视图或虚拟表（{table}）",
                                     "a GeoPackage to import may hold tables only, not views or virtual tables "
                                     "({table})"),
    "io_formats.gpkg_unreadable": Message("无法读取 GeoPackage 文件 {name}：{problem}",
                                          "cannot read the GeoPackage {name}: {problem}"),
    # .zip archives
    "io_formats.zip_path": Message("压缩包中的文件路径不安全：{name}",
                                   "the .zip member {name} has an absolute path or '..'; such archives are refused"),
    "io_formats.zip_members": Message("压缩包文件过多：{count:,} 个，上限 {limit:,} 个",
                                      "the .zip holds {count:,} files; at most {limit:,} are accepted"),
    "io_formats.zip_member_ratio": Message(
        "压缩包中的 {name} 压缩比异常（{ratio:,.0f} 倍，上限 {limit} 倍），疑为压缩炸弹",
        "the .zip member {name} expands {ratio:,.0f} times (limit {limit}); refused as a zip bomb"),
    "io_formats.zip_ratio": Message(
        "压缩包压缩比异常（{ratio:,.0f} 倍，上限 {limit} 倍），疑为压缩炸弹",
        "the Shapefile in the .zip expands {ratio:,.0f} times the archive's size (limit {limit}); "
        "refused as a zip bomb"),
    "io_formats.zip_too_big": Message("压缩包解压后过大（超过 {limit:,} 字节，于 {name}）",
                                      "the .zip expands to more than {limit:,} bytes (at {name}); refused"),
    "io_formats.zip_holds_shapefile": Message(
        "导出为 .zip 的只能是 Shapefile；{format} 请用以 {suffix} 结尾的文件名",
        "a .zip export holds a Shapefile; name a {format} file ending in {suffix}"),
    "io_formats.zip_one_shp": Message("压缩包中须恰有一个 .shp 文件，现有 {count} 个",
                                      "the .zip must hold exactly one .shp; it holds {count}"),
    "io_formats.zip_broken": Message("压缩包已损坏或无法读取：{problem}",
                                     "the .zip file is broken or cannot be read: {problem}"),
    "io_formats.zip_names": Message("压缩包中的文件名过长或层级过深",
                                    "a file name in the .zip is too long or nested too deep"),
    # Shapefile
    "io_formats.shp_no_dbf": Message("Shapefile 的 .shp 旁没有 .dbf 文件", "the Shapefile has no .dbf beside its .shp"),
    "io_formats.dbf_encoding_unknown": Message("无法判断 .dbf 的文字编码，请指明（gbk、gb18030 或 utf-8）",
                                               "cannot tell the .dbf's text encoding; state it (gbk, gb18030 or "
                                               "utf-8)"),
    "io_formats.dbf_not_encoding": Message(".dbf 不是 {encoding} 编码：{problem}",
                                           "the .dbf is not {encoding}: {problem}."),
    "io_formats.dbf_gbk_hint": Message("政府发布的 Shapefile 常为 GBK 编码",
                                       "Chinese government Shapefiles are often GBK: state encoding gbk."),
    "io_formats.shp_unreadable": Message("无法读取 Shapefile 文件 {name}：{problem}",
                                         "cannot read the Shapefile {name}: {problem}"),
    "io_formats.shapefile_text": Message(
        "Shapefile 的文本字段最多 {limit} 字节：第 {row} 条记录{record}的 {field} 有 {size} 字节（{encoding}），"
        "写入会被截断（再导入时会改掉原值）；请导出为 GeoPackage，未写出文件",
        "a Shapefile text field holds at most {limit} bytes: record {row}{record}, {field}, is {size} bytes in "
        "{encoding} and would be cut (and an import of the file would change the stored value); export as "
        "GeoPackage; no file was written"),
    "io_formats.shapefile_kinds": Message(
        "图层 {layer} 混有 {kinds} 几何，Shapefile 只能容纳一种：请导出为 GeoPackage"
        "（xincheng export {layer}.gpkg --layer {layer}，每种几何一个表）",
        "layer {layer} mixes {kinds} geometries and a Shapefile holds one kind: export it as GeoPackage "
        "(xincheng export {layer}.gpkg --layer {layer}; one table per kind)"),
    # CSV and XLSX
    "io_formats.xlsx_broken": Message("XLSX 文件已损坏", "the XLSX file is broken (not a zip container)"),
    "io_formats.xlsx_unreadable": Message("无法读取 XLSX 文件 {name}：{problem}",
                                          "cannot read the XLSX file {name}: {problem}"),
    "io_formats.gpkg_tables": Message(
        "GeoPackage 中有多个要素图层（{tables}），无法确定导入哪一个：请每个文件只放一个图层（本服务导出的按几何类型"
        "拆分的图层除外），未导入任何内容",
        "the GeoPackage holds several feature tables ({tables}) and which one to import is unclear: keep one layer "
        "per file (the service's own exports split by kind of geometry excepted); nothing was imported"),
    "io_formats.wkt_broken": Message("第 {row} 行的 WKT 几何有误", "row {row} has a broken WKT geometry"),
    "io_formats.coordinate_nan": Message("第 {row} 行的坐标不是数值",
                                         "row {row} has a coordinate that is not a number"),
    "io_formats.no_coordinate_column": Message(
        "表中没有 {axis} 坐标列{header}，请指明（lon/lat、x/y、经度/纬度）或提供 wkt 列",
        "the table has no {axis} coordinate column{header}; name it (lon/lat, x/y, 经度/纬度) or a wkt column"),
}
