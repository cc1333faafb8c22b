"""``xincheng user``: add users (the first admin too), list them, add the dev accounts."""

from __future__ import annotations

import getpass
import sys

import click

from api.cli.common import CLI_ACTOR, Context, domain_errors, group
from api.cli.output import print_table
from geo.layers import ROLES
from geo.messages import text, value_label


@group()
def user() -> None:
    """用户管理 · Manage users (the first admin is created here)."""


@user.command("add")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(ROLES), help="角色 · role.")
@click.option("--display-name", default=None, help="显示名称 · name shown on pages.")
@click.option("--password-stdin", is_flag=True, help="从标准输入读取密码 · read the password from standard input.")
@click.option("--district", "districts", multiple=True,
              help="所属区划代码（6 位，可重复） · "
                   "6-digit adcode the user acts for (repeat for several); default: this district. "
                   "A boundary inspector of a neighbour signs joint inspections for that district only.")
@click.pass_obj
def user_add(obj: Context, username: str, role: str, display_name: str | None, password_stdin: bool,
             districts: tuple[str, ...]) -> None:
    """添加用户 · Create a user with a role; the password is asked for, never given on the command line."""
    from geo.users import create_user

    store = obj.store  # a database that is missing, cannot be opened or is read-only is said before the password
    with domain_errors():
        store.check_writable()
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            raise click.UsageError(text("cli.passwords_differ"))
    with domain_errors():
        made = create_user(store, username, password, role, actor=CLI_ACTOR, display_name=display_name,
                           adcodes=list(districts) or None)
    click.echo(text("cli.user_created", name=made["username"], role=value_label(made["role"])))


@user.command("list")
@click.pass_obj
def user_list(obj: Context) -> None:
    """用户列表 · List users and roles."""
    from geo.users import list_users

    rows = [[u["username"], value_label(u["role"]), u.get("adcodes") or "—",
             "启用 active" if u["active"] else "停用 inactive", "仅开发 dev-only" if u["dev_only"] else ""]
            for u in list_users(obj.store)]
    print_table(rows, ["用户名 username", "角色 role", "辖区 districts", "状态 status", ""])


@user.command("add-dev-accounts")
@click.pass_obj
def user_add_dev(obj: Context) -> None:
    """添加开发账号 · Create one dev-only account per role (password = username + '-dev-pass'); dev mode only."""
    from geo.users import add_dev_accounts, dev_account

    if not obj.settings.dev_mode:
        raise click.UsageError(text("cli.dev_accounts_dev_only"))
    with domain_errors():
        created = add_dev_accounts(obj.store, actor=CLI_ACTOR)
    for made in created:
        name, password = dev_account(made["role"])
        click.echo(text("cli.dev_account", name=name, password=password, role=value_label(made["role"])))
