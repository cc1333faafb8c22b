"""Messages of the pages' dead ends: a form posted after the session expired, and the HTML error pages
(no such page, a malformed id or page number in a page's address)."""

from __future__ import annotations

from geo.messages import Message

MESSAGES = {
    "pages_errors.session_expired": Message(
        "登录已过期，请重新登录；您填写的内容已保留，登录后将回到原表单，尚未保存任何内容。",
        "Your session expired: log in again. What you typed was kept and the form comes back after you log in; "
        "nothing has been saved yet."),
    "pages_errors.session_expired_upload": Message(
        "登录已过期，请重新登录；登录后将回到导入页面，请重新选择文件，尚未保存任何内容。",
        "Your session expired: log in again. The import page comes back after you log in: choose the file again; "
        "nothing has been saved yet."),
    "pages_errors.draft_kept": Message("登录已过期，已保留您填写的内容，请核对后再提交",
                                       "Your session expired; what you typed was kept, check it and submit again"),
    "pages_errors.draft_cut": Message("部分内容过长，未能全部保留，请补全后再提交。",
                                      "Some long text did not fit and was cut: complete it before submitting."),
    "pages_errors.draft_files": Message("所选文件（照片）无法保留，请重新选择。",
                                        "A chosen file (a photo) could not be kept: choose it again."),
    "pages_errors.not_found": Message("没有这个页面：{path}", "No such page: {path}"),
    "pages_errors.method": Message("此页面不接受这种请求（{method}）：请从本站页面打开或提交。",
                                   "This page does not take a {method} request: open or submit it from the "
                                   "site's own pages."),
    "pages_errors.title_404": Message("页面不存在", "Page not found"),
    "pages_errors.title_405": Message("请求方式有误", "Method not allowed"),
    "pages_errors.title_422": Message("网址有误", "Invalid address"),
    "pages_errors.title_401": Message("需要登录", "Login needed"),
    "pages_errors.title_403": Message("无权访问", "Not allowed"),
    "pages_errors.title_409": Message("与现有记录冲突", "Conflict"),
    "pages_errors.title_413": Message("内容过大", "Too large"),
    "pages_errors.title_429": Message("请求过于频繁", "Too many requests"),
    "pages_errors.title_500": Message("服务器出错", "Server error"),
    "pages_errors.title_503": Message("暂时无法服务", "Service unavailable"),
    "pages_errors.title_other": Message("请求有误", "Bad request"),
    "pages_errors.log_in": Message("登录后回到此页", "Log in and come back here"),
    "pages_errors.go_home": Message("返回首页", "Back to the home page"),
    "pages_errors.my_home": Message("我的工作首页", "My start page"),
}
