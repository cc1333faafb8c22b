"""Messages of the door plates: numbering (DP rules), plate ids, status decisions, QR codes, reprints."""

from __future__ import annotations

from geo.messages import Message

MESSAGES = {
    "plates.suffix": Message("{field} {value} 须为 之N、附N 或一个字母 A–Z（DP-04）",
                             "DP-04: {field} must be 之N, 附N or one letter A–Z; got {value}"),
    "plates.uid_form": Message("{field} {value} 格式不对：须为 8 位，取自 {alphabet}（无 0/O/1/I）；留空则自动生成",
                               "{field} must be 8 characters from {alphabet}; a code like {value} cannot be signed "
                               "for a QR plate (leave it empty to generate one)"),
    "plates.no_street": Message("{field} {value} 不存在（请先新增或命名该街路巷）",
                                "{field} {value} is not a stored street (add or name the street first)"),
    "plates.street_not_in_force": Message("{field} {value} 不是已生效的标准地名（未批准或已废止）",
                                          "{field} {value} is not a street name in force (not yet approved, or "
                                          "retired)"),
    "plates.number_taken": Message("{street}{number}号{suffix} 已有门牌（{other}），同一街路巷门牌号不得重复（DP-04）；"
                                   "需要时加副号（附号 suffix，如 之一、附1）",
                                   "DP-04: {street} No. {number}{suffix} is taken by {other}; give a sub-number "
                                   "(suffix)"),
    "plates.other_plate": Message("门牌 {uid}", "plate {uid}"),
    "plates.other_row": Message("第 {row} 行", "row {row}"),
    "plates.outside_district": Message("门牌位置不在本区范围内（检查坐标系与经纬度顺序）",
                                       "the plate lies outside the district boundary (check the CRS and the axis "
                                       "order)"),
    "plates.dp04_twice": Message("DP-04：{number}号 重复出现", "DP-04: {number} appears twice"),
    "plates.dp02_odd_side": Message("DP-02：{number}号 位于街路巷{side}，该侧应编单号",
                                    "DP-02: {number} stands on the {side} side, which takes odd numbers"),
    "plates.dp02_even_side": Message("DP-02：{number}号 位于街路巷{side}，该侧应编双号",
                                     "DP-02: {number} stands on the {side} side, which takes even numbers"),
    "plates.dp03_order": Message("DP-03：沿街路巷方向 {number}号 排在 {before}号 之后，编号顺序颠倒",
                                 "DP-03: {number} comes after {before} along the street"),
    "plates.moved_far": Message(
        "门牌 {uid} 移到距 {street} {gap} 米处，超过 {limit} 米（DP-01：门牌位于其街路巷旁）："
        "位置更正不能把门牌移到别处；门牌换到另一条街路巷须经替换决定（POST /api/plates/{uid}/replace）或注销后新设",
        "DP-01: plate {uid} would stand {gap} m from {street}, more than {limit} m: a position correction does not "
        "move a plate elsewhere; a plate on another street is replaced (POST /api/plates/{uid}/replace) or revoked "
        "and created anew"),
    "plates.far_from_street": Message("门牌距 {street} {gap} 米，请核对位置",
                                      "the plate is {gap} m from {street}; check its position"),
    "plates.no_district": Message("未存储本区界线，无法检查门牌是否在区内",
                                  "no district boundary is stored, so plates cannot be checked against it"),
    "plates.uid_taken": Message("{field} {value} 已存在", "{field} {value} already exists"),
    "plates.uid_twice": Message("{field} {value} 在同一批中重复（第 {other} 行已用）",
                                "{field} {value} appears twice in one batch (already in row {other})"),
    "plates.bad_status": Message("{field} 的取值 {value} 不在允许范围内，可选：{allowed}",
                                 "{field} must be one of {allowed}; got {value}"),
    "plates.decision_requires": Message("门牌状态变更须记录决定：{fields}", "a status change must record {fields}"),
    "plates.decision_future": Message("{field} 晚于今天", "{field} lies in the future"),
    "plates.not_found": Message("没有门牌 {uid}", "no door plate {uid}"),
    "plates.retired_not_printed": Message("门牌 {uid} 的状态为 {status}，已不再使用，"
                                          "不能印制生产版面（可看样张）{successor}",
                                          "plate {uid} is {status} and no longer in use, so it is not printed for "
                                          "production (a proof may be viewed){successor}"),
    "plates.retired_successor": Message("；替换它的新门牌是 {successor}，请印制新门牌",
                                        "; the plate that replaced it is {successor}: print that one"),
    "plates.same_status": Message("门牌已是 {status}", "the plate is {status} already"),
    "plates.final_status": Message("门牌状态为 {status}，不能恢复；如需门牌请新设",
                                   "the plate is {status}, which is final: create a new plate instead"),
    "plates.key_twice": Message("{field} 中密钥 {kid} 出现了两次", "{field} lists key {kid} twice"),
    "plates.key_form": Message("XINCHENG_QR_KEYS 须为 'K:密钥' 列表：K 为 A–Z 或 2–9，密钥至少 16 个字符；"
                               "单独的 '{default}' 表示由服务密钥派生的默认密钥",
                               "qr_keys must be 'K:secret' pairs: K one of A-Z or 2-9, secret 16+ characters; "
                               "'{default}' alone is the default key derived from the service secret"),
    "plates.not_our_code": Message("这不是本服务的门牌二维码", "this is not a code of a door plate of this service"),
    "plates.key_retired": Message("此二维码的密钥已停用", "this code's key has been retired"),
    "plates.forged": Message("二维码校验失败，可能是伪造的", "the code failed its check and may be forged"),
    "plates.base_url": Message("二维码网址 {value} 不是公网地址，印出的门牌将无法扫码：请设置 XINCHENG_PUBLIC_BASE_URL",
                               "the public base URL {value} is missing or loopback, so printed QR codes would point "
                               "nowhere: set XINCHENG_PUBLIC_BASE_URL (e.g. https://mp.example.gov.cn)"),
    "plates.cannot_sign": Message("{field} {value} 无法签发二维码（格式错误），请先更正",
                                  "{field} {value} cannot carry a verifiable QR code (malformed); correct the plate "
                                  "first"),
    "plates.choice": Message("{field} 的取值 {value} 不在允许范围内，可选：{allowed}",
                             "{field} must be one of {allowed}; got {value}"),
    "plates.choose_one": Message("请在 {fields} 中恰好选择一项，收到：{chosen}",
                                 "choose exactly one of {fields}; got {chosen}"),
    "plates.no_street_called": Message("没有名为 {value} 的街路巷", "no street called {value}"),
    "plates.points_count": Message("{field} 须有 1 至 {limit} 个位置", "{field} must hold 1 to {limit} positions"),
    "plates.point_far": Message("第 {n} 个点距 {street} 超过 100 米", "point {n} is more than 100 m from {street}"),
}
