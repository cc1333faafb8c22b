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
}
