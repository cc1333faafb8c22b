"""Messages of user accounts and login tokens (geo/users.py) and of generic layer writes."""

from __future__ import annotations

from geo.messages import Message

MESSAGES = {
    # logging out while the database cannot record it: the browser forgot the session, the server could not end it
    "accounts.logout_not_revoked": Message(
        "本机已退出登录（浏览器已删除登录信息），但数据库暂时无法写入，服务器上的这次登录未能注销，"
        "将在 {minutes} 分钟内自动失效。在公用电脑上请关闭浏览器；数据库恢复后无需再做什么",
        "you are logged out on this device (the browser forgot the session), but the database cannot be written "
        "right now, so the server could not end the session: it expires by itself within {minutes} minutes. On a "
        "shared computer, close the browser; nothing more is needed once the database is back"),
    "accounts.own_districts_only": Message(
        "{field} 只能为本方区划建立账号：{user} 代表 {own}，不能为 {asked} 建立；相邻区的账号由其管理员建立",
        "{field}: an admin creates accounts only for the districts they act for ({user}: {own}), not for "
        "{asked}; the neighbour's accounts are made by the neighbour's admin"),
    "accounts.adcodes": Message(
        "{field} 须为 6 位区县级行政区划代码（GB/T 2260，如 150102），收到 {value}",
        "{field} must be 6-digit county-level adcodes (GB/T 2260, such as 150102); got {value}"),
    "accounts.role": Message("{field} 的取值 {value} 不在允许范围内，可选：{allowed}",
                             "{field} must be one of {allowed}; got {value}"),
    "accounts.username": Message("{field} 须为 1–64 个字符，不含空格和 < > & \" '",
                                 "{field} must be 1 to 64 characters without spaces or markup characters"),
    "accounts.password_length": Message("{field} 至少须有 {length} 个字符",
                                        "{field} must have at least {length} characters"),
    # the login throttle (api/ratelimit.py): failures are counted over a window of ``minutes``
    "accounts.login_locked": Message(
        "登录失败次数过多，已暂停登录：请在 {minutes} 分钟后再试（从最早一次失败算起）",
        "too many failed logins: logging in is paused; try again in {minutes} minutes (counted from the "
        "earliest failure)"),
    "accounts.taken": Message("用户名 {value} 已存在", "user {value} exists already"),
    "accounts.wrong_password": Message("用户名或密码错误", "wrong username or password"),
    "accounts.log_in": Message("请先登录：发送 Authorization: Bearer <令牌>",
                               "log in first: send Authorization: Bearer <token>"),
    "accounts.neighbour_scope": Message(
        "账号 {username} 是相邻区县的界线联检员：在本区只能参与界线联检，不能使用 {what}",
        "the account {username} is a neighbouring district's boundary inspector: here it takes part in joint "
        "boundary inspection only, not {what}"),
    "accounts.other_district": Message(
        "账号 {username} 代表 {own} 办理业务，不代表本区 {district}：不能查看或修改本区数据"
        "（相邻区只有界线联检员可参与联检）",
        "the account {username} acts for {own}, not for this district {district}: it reads and edits nothing here "
        "(of a neighbouring district, only boundary inspectors take part in joint inspections)"),
    "accounts.token_invalid": Message("登录令牌无效", "the login token is not valid"),
    "accounts.token_expired": Message("登录令牌已过期，请重新登录", "the login token has expired; log in again"),
    "accounts.stale": Message("记录已被他人修改（{layer} {id} 现为第 {current} 版，不是第 {given} 版），请重新载入",
                              "{layer} {id} is at version {current}, not {given}: reload it"),
}
