"""Reading the service's TOML settings files once per version of each file.

Several rules read a settings file (planning norms, ban-zone buffers, the place-code scheme, door-plate
numbering). Each is parsed once and kept until the file changes: :func:`load_settings` keys the parse
by path, modification time and size, so every request after an edit sees the new values and no
request reads the file twice. An unreadable file or bad TOML is an :class:`InputError` naming the
file and the reason with the caller's message key (``path`` and ``reason`` filled in).
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from geo.errors import InputError
from geo.messages import text

T = TypeVar("T")


def load_settings(file: Path, parse: Callable[..., T], *, unreadable: str) -> T:
    """Return ``parse(table, path=path)`` of ``file``'s TOML, parsed once per version of the file.

    ``parse`` is a module-level function (it is part of the cache key).
    """
    try:
        stat = file.stat()
    except OSError as exc:
        raise InputError(text(unreadable, path=str(file), reason=exc.strerror or exc), field="settings") from None
    return _parsed(str(file), stat.st_mtime_ns, stat.st_size, parse, unreadable)


@lru_cache(maxsize=32)
def _parsed(path: str, _mtime_ns: int, _size: int, parse: Callable[..., Any], unreadable: str) -> Any:
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(text(unreadable, path=path, reason=str(exc).splitlines()[0]), field="settings") from None
    return parse(data, path=path)
