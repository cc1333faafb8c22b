"""Messages of what is printed and imported: signs and plates (base URL, Mongolian name in force,
glyphs the font has) and the developer's sheet (formulas, whole numbers) (#17 review F2-F8)."""

from __future__ import annotations

from geo.messages import Message

MESSAGES = {
    "printed_names.sign_base_url": Message(
        "二维码网址 {value} 不是公网地址，印出的路牌将无法扫码："
        "请设置 XINCHENG_PUBLIC_BASE_URL（校样 proof 可印）",
        "the QR address {value} is not public: a printed street sign could not be scanned; set "
        "XINCHENG_PUBLIC_BASE_URL (a proof may be printed)"),
    "printed_names.address_base_url": Message(
        "二维码网址 {value} 不是公网地址，印出的楼牌、单元牌将无法扫码："
        "请设置 XINCHENG_PUBLIC_BASE_URL（校样 proof 可印）",
        "the QR address {value} is not public: a printed building or unit plate could not be scanned; set "
        "XINCHENG_PUBLIC_BASE_URL (a proof may be printed)"),
    "printed_names.no_glyph": Message(
        "{field} {value} 中的字符 {char} 在牌面字体中没有字形，正式牌将印出方框：请改用规范字，或印制校样（proof）",
        "{field} {value}: the character {char} has no glyph in the plate font, a production plate would print "
        "a box; use a standard character, or print a proof"),
    "printed_names.formula": Message(
        "{field} 是公式（{value}），导入不读公式：请在表格中把它换成值",
        "{field} is a formula ({value}); the import does not read formulas: replace it by its value"),
    "printed_names.number_not_whole": Message(
        "{field} 须为整数（街路巷 {street}，门牌号 {value}）",
        "{field} must be a whole number (street {street}, number {value})"),
}
