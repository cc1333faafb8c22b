"""Messages of comparing another version of a boundary with ours (geo/boundaries/compare.py, the
``xincheng boundaries compare`` command): what the file is, why it is refused, and what each disputed
part is."""

from __future__ import annotations

from geo.messages import Message

MESSAGES = {
    # refusals: the file
    "boundary_compare.empty": Message("文件中没有要素，无法比对（不是「没有争议」）",
                                      "the file holds no features: nothing to compare (this is not \"no dispute\")"),
    "boundary_compare.file_too_big": Message("文件大小 {size} MB，超过比对上限 {limit} MB（一条界线的版本最多 "
                                             "{vertices} 个节点，远小于此；请先简化或只保留这条界线）",
                                             "the file is {size} MB, more than the {limit} MB a comparison reads "
                                             "(a version of one boundary holds at most {vertices} vertices, far "
                                             "less; simplify it or keep only this line)"),
    "boundary_compare.too_many_features": Message("文件有 {count} 个要素，上限 {limit}",
                                                  "the file holds {count} features; the limit is {limit}"),
    "boundary_compare.geometry_problems": Message("文件中有 {count} 个要素的几何不能比对：{problems}",
                                                  "the file holds {count} features that cannot be compared: "
                                                  "{problems}"),
    "boundary_compare.too_many_vertices": Message("文件共有 {count} 个节点，上限 {limit}（请先简化）",
                                                  "the file holds {count} vertices in all; the limit is {limit} "
                                                  "(simplify it first)"),
    "boundary_compare.outside_china": Message("文件中有 {count} 个要素超出中国范围（CRS-01，检查 --crs，"
                                              "文件按 {crs} 读取）",
                                              "CRS-01: the file holds {count} features outside China (check --crs; "
                                              "the file was read as {crs})"),
    "boundary_compare.mixed": Message("文件同时含有面和线，请只给一个版本：区划面或界线",
                                      "the file holds both polygons and lines; give one version only: a unit's "
                                      "polygon or the line"),
    "boundary_compare.empty_body": Message("上传的文件为空（0 字节），无法比对（不是「没有争议」）",
                                           "the uploaded file is empty (0 bytes): nothing to compare (this is "
                                           "not \"no dispute\")"),
    "boundary_compare.min_area_not_number": Message("min_area_m2 必须是大于 0 且不大于 {limit} 的数，"
                                                    "「{got}」不是有效数字",
                                                    "min_area_m2 must be a number above 0 and at most {limit}; "
                                                    "\"{got}\" is not a number"),
    "boundary_compare.min_area_range": Message("min_area_m2 必须大于 0 且不大于 {limit}，收到 {got}",
                                               "min_area_m2 must be above 0 and at most {limit}; got {got}"),
    "boundary_compare.too_little_of_line": Message(
        "文件只覆盖{line}的 {covered} 千米（全长 {length} 千米的 {share}%），少于 {min_m} 米，"
        "不足以比对（不是「没有争议」）",
        "the file covers only {covered} km of {line} ({share}% of its {length} km), less than "
        "{min_m} m: too little to compare (this is not \"no dispute\")"),
    # refusals: the neighbour and what the file describes
    "boundary_compare.unknown_neighbour": Message("没有与 {adcode} 之间的界线；相邻区划为：{known}",
                                                  "no boundary line with {adcode} in the database; the neighbours "
                                                  "are {known}"),
    "boundary_compare.no_unit": Message("数据库中没有区划 {adcode} 的面",
                                        "no polygon of unit {adcode} in the database"),
    "boundary_compare.several_units": Message("文件的 {field} 属性含有多个区划：{adcodes}，请每次只比对一个",
                                              "the file's {field} names several units ({adcodes}); compare one "
                                              "at a time"),
    "boundary_compare.other_unit": Message("文件的 {field} 属性为 {adcode}，既不是 {ours}，也不是 {theirs}",
                                           "the file's {field} is {adcode}: neither {ours} nor {theirs}"),
    "boundary_compare.unlike_unit": Message("文件的 {field} 属性为 {adcode}（{name}），但其面与我方数据中的"
                                            "{name}只重合 {share}%（检查 --crs 或文件）",
                                            "the file's {field} says {adcode} ({name}) but its polygon overlaps "
                                            "our {name} by {share}% only (check --crs or the file)"),
    "boundary_compare.resembles_neither": Message("文件中的面与{ours}、{theirs}都不相像（重合 {ours_share}%、"
                                                  "{theirs_share}%），无法比对",
                                                  "the file's polygon resembles neither {ours} nor {theirs} "
                                                  "(overlap {ours_share}%, {theirs_share}%): nothing to compare"),
    "boundary_compare.other_neighbour_unit": Message("文件中的面像是{name}（{adcode}）的面，请用 --neighbour {adcode}",
                                                     "the file's polygon looks like {name} ({adcode}): use "
                                                     "--neighbour {adcode}"),
    "boundary_compare.other_line": Message("文件中的线沿着{line}，不是与{theirs}的界线，请用 --neighbour {adcode}",
                                           "the file's line follows {line}, not the line with {theirs}: use "
                                           "--neighbour {adcode}"),
    "boundary_compare.far_line": Message("文件中的线只有 {share}% 在{line}两侧 {corridor} 米内（最近处相距 "
                                         "{distance} 米），不是这条界线的版本（检查 --crs 或文件）",
                                         "only {share}% of the file's line lies within {corridor} m of {line} "
                                         "(nearest {distance} m): it is no version of this line (check --crs or "
                                         "the file)"),
    # what each part is
    "boundary_compare.gains": Message("{unit}多划", "drawn into {unit}"),
    "boundary_compare.gains_note": Message("「某区多划」：文件版本把该地块划入该区，我方数据划入另一方",
                                           "\"drawn into X\": the file's version puts the ground in X, our data "
                                           "puts it in the other unit"),
    "boundary_compare.place": Message("界桩 {marker} 附近 {distance} 米", "{distance} m from marker {marker}"),
    "boundary_compare.line_start": Message("界线起点", "start of the line"),
    "boundary_compare.line_end": Message("界线终点", "end of the line"),
    "boundary_compare.marker_distances": Message("{marker}（距本方 {ours} 米 / 距文件 {theirs} 米）",
                                                 "{marker} ({ours} m from ours / {theirs} m from the file's)"),
    "boundary_compare.described_line": Message("界线 {line} 的另一版本", "another version of {line}"),
    "boundary_compare.described_unit": Message("{name}（{adcode}）的面，按{how}识别",
                                               "the polygon of {name} ({adcode}), recognised by {how}"),
    "boundary_compare.by_attribute": Message("文件的 {field} 属性", "the file's {field} attribute"),
    "boundary_compare.by_overlap": Message("与我方数据的重合（{share}%）", "its overlap with our data ({share}%)"),
    # warnings
    "boundary_compare.shift": Message("两版本沿整条界线近乎平移 {distance} 米（向{direction}，东 {east} 米、"
                                      "北 {north} 米；{share}% 的界线相差超过 {threshold} 米），"
                                      "很可能是坐标系 --crs 用错了",
                                      "the versions differ by a near-constant shift of {distance} m to the "
                                      "{direction} (east {east} m, north {north} m; {share}% of the line differs "
                                      "by more than {threshold} m): most likely a wrong --crs"),
    "boundary_compare.differ_everywhere": Message("两版本在 {share}% 的界线上相差超过 {threshold} 米（中位数 "
                                                  "{median} 米），请先核对坐标系 --crs 和文件",
                                                  "the versions differ by more than {threshold} m along {share}% of "
                                                  "the line (median {median} m): check --crs and the file first"),
    "boundary_compare.elsewhere": Message("此界线以外，两版本还相差 {area} 平方米，主要在{line}（本次未列出）",
                                          "beyond this line the versions also differ by {area} m², mostly along "
                                          "{line} (not listed here)"),
    "boundary_compare.partial": Message("文件只覆盖{line}的 {share}%（{covered} / {length} 千米：{stretches}），"
                                        "其余部分未比对",
                                        "the file covers only {share}% of {line} ({covered} of {length} km: "
                                        "{stretches}); the rest of the line was not compared"),
    "boundary_compare.agree_partial": Message("在文件覆盖的 {share}%（{stretches}）内，两版本一致（差异均小于 "
                                              "{min_area} 平方米）；其余 {rest} 千米未比对，不能说整条{line}一致",
                                              "within the {share}% the file covers ({stretches}) the versions agree "
                                              "(no difference of {min_area} m² or more); the other {rest} km were "
                                              "not compared, so this says nothing about the whole of {line}"),
    "boundary_compare.coverage": Message("文件覆盖界线的 {share}%（{covered} / {length} 千米：{stretches}）",
                                         "the file covers {share}% of the line ({covered} of {length} km: "
                                         "{stretches})"),
    "boundary_compare.summary_parts": Message("争议区域 {count} 处，共 {area} 平方米（{mu} 亩）",
                                              "{count} disputed areas, {area} m² ({mu} 亩) in all"),
    "boundary_compare.agree": Message("两版本在{line}上一致（差异均小于 {min_area} 平方米）",
                                      "the versions agree along {line} (no difference of {min_area} m² or more)"),
    "boundary_compare.not_a_ruling": Message("比对结果仅供核查；界线争议由批准界线的机关依协议处理（BM-09）",
                                             "BM-09: this comparison informs; disputes over the line are settled by "
                                             "the authority that approved it, under the agreement"),
}
