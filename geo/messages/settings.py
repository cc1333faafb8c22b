"""Messages of the service's settings (environment variables XINCHENG_*, api/settings.py)."""

from __future__ import annotations

from geo.messages import Message

MESSAGES = {
    "settings.not_whole": Message("{field} 须为整数，收到 {value}", "{field} must be a whole number; got {value}"),
    "settings.not_positive": Message("{field} 须为正整数，收到 {value}", "{field} must be positive; got {value}"),
    "settings.out_of_range": Message("{field} 须在 {low} 至 {high} 之间，收到 {value}",
                                     "{field} must be from {low} to {high}; got {value}"),
    "settings.not_a_switch": Message("{field} 须为开关值（{words}），收到 {value}",
                                     "{field} must be a switch ({words}); got {value}"),
    "settings.not_a_choice": Message("{field} 须为以下之一：{allowed}，收到 {value}",
                                     "{field} must be one of {allowed}; got {value}"),
    "settings.weak_secret": Message(
        "{field} 须设为至少 {length} 个字符的随机值（开发模式除外），可用 {how} 生成",
        "{field} must be set to a random value of at least {length} characters outside dev mode ({how})"),
    "settings.page_sizes": Message("{field}（{default}）不得大于 {limit}（{maximum}）：请改小前者或改大后者",
                                   "{field} ({default}) must not exceed {limit} ({maximum}): lower the one or raise "
                                   "the other"),
    "settings.dev_secret": Message("{field} 是开发模式的密钥，正式服务不得使用：请设为新的随机值，可用 {how} 生成",
                                   "{field} is the development secret, not for a real service: set a new random "
                                   "value ({how})"),
    "settings.memory_database": Message(
        "{field} 是内存中的 SQLite 数据库（{value}）：其中的数据不写入磁盘，服务或命令一结束即全部丢失；"
        "请给出数据库文件，如 sqlite:///var/xincheng.db",
        "{field} is a SQLite database held in memory ({value}): nothing in it reaches the disk, and all of it is "
        "gone when the service or command ends; give a database file, e.g. sqlite:///var/xincheng.db"),
    "settings.attribution_needed": Message(
        "设置 {url_field} 时须同时设置 {field}：地图须显示底图提供方的署名",
        "{field} must be set with {url_field}: the provider's attribution has to be shown on the map"),
}
