"""The base URL printed QR codes carry: refused when the public cannot reach it.

Door plates, 楼牌 and 单元牌, and smart street signs all print a QR that a resident's phone opens;
a loopback, private or malformed base URL would print codes that lead nowhere, so production
prints refuse it (proofs may carry any). One check for every printed artefact, below all of them.
"""

from __future__ import annotations

import unicodedata

from geo import messages as msg
from geo.errors import InputError

_LOOPBACK_HOSTS = ("localhost", "127.", "0.0.0.0", "[::1]", "::1")


def _not_public_address(host: str) -> bool:
    """Return whether ``host`` is an IP address in any spelling (2130706433, 127.1, 0x7f.1) that the
    public cannot reach: loopback, unspecified, private or link-local."""
    import ipaddress
    import socket

    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        try:
            ip = ipaddress.ip_address(socket.inet_aton(host))
        except OSError:
            return host == "localhost" or host.endswith(".localhost")
    return ip.is_loopback or ip.is_unspecified or ip.is_private or ip.is_link_local


def check_public_base_url(base_url: str | None) -> str:
    """Return the base URL printed QR codes carry, refusing a missing or loopback one."""
    from urllib.parse import unquote, urlsplit

    parts = urlsplit((base_url or "").strip())
    # A browser reads 127。0。0。1, １２７.0.0.1 and %31%32%37.0.0.1 as 127.0.0.1: so does this check.
    host = unicodedata.normalize("NFKC", unquote(parts.hostname or "")).replace("。", ".").lower().rstrip(".")
    try:
        port_ok = parts.port is None or 0 < parts.port < 65536
    except ValueError:
        port_ok = False
    if parts.scheme not in ("http", "https") or not host or host.startswith(_LOOPBACK_HOSTS) \
            or host == "::1" or "localhost" in host or _not_public_address(host) or not port_ok \
            or parts.query or parts.fragment or not host.isascii():
        raise InputError(msg.text("plates.base_url", value=repr(base_url)), field="public_base_url")
    return base_url.strip()  # type: ignore[union-attr]
