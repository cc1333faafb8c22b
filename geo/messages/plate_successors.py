"""Messages of the plate fixes after the review of #17: a replacement takes its addresses along and
is placed where it belongs; a revocation takes its addresses with it; the status path only revokes."""

from __future__ import annotations

from geo.messages import Message

MESSAGES = {
    "plate_successors.replace_via_successor": Message(
        "门牌 {uid} 不能直接改为 已替换 replaced：替换须同时新设继任门牌（门牌替换 "
        "POST /api/plates/{uid}/replace）；状态决定只能 注销 已撤销 revoked",
        "plate {uid} cannot simply be set to replaced: a replacement creates its successor plate "
        "(POST /api/plates/{uid}/replace); a status decision can only revoke"),
    "plate_successors.revoke_active_addresses": Message(
        "门牌 {uid} 下还有 {count} 个在用的楼、单元、室地址（标准地址）：须选择 {field}，否则门牌不能注销（AD-06）",
        "plate {uid} still has {count} active buildings, units or rooms (standard addresses) below it: choose "
        "{field} to retire them with the plate (AD-06)"),
    "plate_successors.with_addresses": Message("一并注销其下地址", "with_addresses"),
    "plate_successors.successor_far": Message(
        "继任门牌位置距 {street} {gap} 米，超过 {limit} 米（DP-01：门牌位于其街路巷旁）；"
        "如门牌已到另一条街路巷，请注销原门牌后新设",
        "DP-01: the successor plate would stand {gap} m from {street}, more than {limit} m; a plate that moves "
        "to another street is revoked and a new one created"),
    "plate_successors.successor_parity": Message(
        "DP-02：继任门牌 {street}{number}号 位于街路巷 {side} 一侧，该侧门牌号的单双号与之不符，请核对号码或位置",
        "DP-02: the successor plate {street} No. {number} stands on the {side} side, whose numbers have the "
        "other parity; check its number or position"),
    "plate_successors.successor_community": Message(
        "继任门牌位于 {name}（{code}），所属社区随位置改为该社区",
        "the successor plate lies in {name} ({code}); its community follows its position"),
    "plate_successors.bad_number": Message("{field} 须为 1 至 {limit} 的整数，收到 {value}",
                                          "{field} must be a whole number from 1 to {limit}; got {value}"),
    "plate_successors.replaced_done": Message(
        "已替换：旧门牌 {old} 记为已替换，新门牌 {new} 已新设，其下 {moved} 个楼、单元、室地址随迁（编号与二维码不变）",
        "replaced: plate {old} is now replaced by the new plate {new}; the {moved} buildings, units and rooms "
        "below it moved along (their ids and QR codes unchanged)"),
    "plate_successors.page_final": Message(
        "此门牌{status}，状态不能再更改（已撤销或已替换的门牌保留其记录与二维码）",
        "This plate is {status}: its status cannot change any more (a revoked or replaced plate keeps its "
        "record and its QR code)"),
}
