"""Messages of offline field inspection: position sources (phone, external GNSS, pasted NMEA, manual),
the NMEA checks, and the page's queue of records waiting to be sent."""

from __future__ import annotations

from geo.messages import Message

_BM02 = "BM-02 界桩登记位置不因外业数据改变，记录只测量位移，须写明位置从何而来："

MESSAGES = {
    "field_offline.position_source": Message(
        _BM02 + "定位来源 position_source 为 {value}，应为 {allowed} 之一",
        "BM-02 a record only measures displacement and must say where its position came from: "
        "position_source is {value}, expected one of {allowed}"),
    "field_offline.nmea_empty": Message(
        "定位来源为 NMEA 时须粘贴接收机的 $GPGGA/$GNGGA 语句（字段 nmea）",
        "with position source NMEA, paste the receiver's $GPGGA/$GNGGA sentence (field nmea)"),
    "field_offline.nmea_too_long": Message(
        "NMEA 语句（字段 nmea）超过 {limit} 个字符：只粘贴定位语句",
        "the NMEA text (field nmea) is longer than {limit} characters: paste the position sentences only"),
    "field_offline.nmea_checksum": Message(
        "NMEA 语句（字段 nmea）第 {line} 行校验和不符（{sentence}…）：语句在复制时损坏，请重新粘贴",
        "NMEA (field nmea) line {line} fails its checksum ({sentence}…): it was damaged in copying; paste it again"),
    "field_offline.nmea_no_gga": Message(
        "NMEA 语句（字段 nmea）中没有 GGA 定位语句（$GPGGA 或 $GNGGA）",
        "the NMEA text (field nmea) has no GGA position sentence ($GPGGA or $GNGGA)"),
    "field_offline.nmea_short": Message(
        "NMEA 语句（字段 nmea）第 {line} 行字段不全", "NMEA (field nmea) line {line} has too few fields"),
    "field_offline.nmea_number": Message(
        "NMEA 语句（字段 nmea）第 {line} 行的数值无法读取：{value}",
        "NMEA (field nmea) line {line} has a value that cannot be read: {value}"),
    "field_offline.nmea_no_fix": Message(
        "NMEA 语句（字段 nmea）第 {line} 行定位质量为 {quality}（无定位、推算或模拟），不是实测位置",
        "NMEA (field nmea) line {line} has fix quality {quality} (no fix, dead reckoning or simulation): "
        "not a measured position"),
    "field_offline.nmea_void": Message(
        "NMEA 语句（字段 nmea）第 {line} 行 RMC 状态为无效（V）：接收机没有定位",
        "NMEA (field nmea) line {line}: the RMC status is void (V), the receiver had no fix"),
    "field_offline.accuracy_number": Message(
        "{field} 不是有效数值：{value}（须为大于 0、不超过 1000 的米数）",
        "{field} is not a valid number: {value} (expected metres above 0, at most 1000)"),
    "field_offline.accuracy_below_floor": Message(
        "BM-02 {field} 填写为 ±{accuracy} 米，但 NMEA 定位质量 {quality}（{quality_name}）、HDOP {hdop} "
        "最好只能达到 ±{floor} 米：请填写接收机实际精度，或留空按 ±{floor} 米记录",
        "BM-02 {field} is given as ±{accuracy} m, but NMEA fix quality {quality} ({quality_name}) with HDOP {hdop} "
        "can claim ±{floor} m at best: give the receiver's real accuracy, or leave it empty to record ±{floor} m"),
    "field_offline.detail_floor": Message(
        "记录精度 ±{accuracy_m} 米（该定位质量下限 ±{floor_m} 米）",
        "recorded accuracy ±{accuracy_m} m (floor for this fix quality ±{floor_m} m)"),
    "field_offline.detail_phone": Message("手机定位，{fixes} 次定位", "phone location, {fixes} fixes"),
    "field_offline.detail_external": Message(
        "外接 GNSS 接收机，标称精度 ±{accuracy_m} 米（{crs}）",
        "external GNSS receiver, stated accuracy ±{accuracy_m} m ({crs})"),
    "field_offline.detail_manual": Message("手工输入坐标（{crs}）", "coordinates typed by hand ({crs})"),
    "field_offline.source_phone": Message("手机定位", "phone"),
    "field_offline.source_external_gnss": Message("外接 GNSS 接收机", "external GNSS receiver"),
    "field_offline.source_nmea": Message("NMEA 语句", "NMEA sentences"),
    "field_offline.source_manual": Message("手工输入", "typed by hand"),
    "field_offline.source_none": Message("未记录", "not recorded"),
    "field_offline.login_again": Message(
        "登录已过期：记录仍保存在本机，请重新登录后再同步",
        "the session has expired: the records stay on this phone; log in again, then send them"),
    "field_offline.not_inspector": Message(
        "当前用户不能提交界桩检查记录", "the current user cannot submit marker inspections"),
}
