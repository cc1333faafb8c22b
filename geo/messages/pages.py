"""Messages of the front door: the landing page, the login form, the 403 page and the navigation."""

from __future__ import annotations

from geo.messages import Message

MESSAGES = {
    "pages.wrong_password": Message("用户名或密码错误，请重新输入。", "Wrong username or password; please try again."),
    "pages.login_for": Message("本页供地名管理员、界桩巡查员（界线联检员）、规划人员和管理员登录使用。"
                               "居民查询门牌无需登录：扫描门牌上的二维码即可。",
                               "For place-name officers, boundary inspectors, planners and administrators. "
                               "Residents need no login: scan the QR code on a door plate."),
    "pages.login_then": Message("登录后将返回：{target}", "After logging in you will go back to {target}"),
    "pages.page_shown": Message("{field} {value} 不是本列表的页码（1–{last}），已显示第 {page} 页",
                                "{field} {value} is not a page of this list (1–{last}); showing page {page}"),
    "pages.changed_meanwhile": Message(
        "记录已被他人修改：本页现显示当前记录和当前版本，请核对后再提交（您这次提交的内容未保存，未做任何合并）",
        "The record was changed by someone else meanwhile: this page now shows the record as it is, with its "
        "current version; check it and submit again (nothing you sent was saved or merged)"),
}
