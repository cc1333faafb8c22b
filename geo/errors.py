"""Domain errors that carry their HTTP meaning, a stable code and a safe public message.

One handler in :mod:`api.errors` renders them; the CLI prints them as usage errors.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error the service reports to a user."""

    status: int = 400
    code: str = "bad_request"

    def __init__(self, message: str, *, field: str | None = None, details: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details or []

    def to_dict(self) -> dict[str, object]:
        """Return the public error body: the same shape for every error."""
        body: dict[str, object] = {
            "error": self.code,
            "message": self.message,
            "field": self.field,
            "status": self.status,
        }
        if self.details:
            body["details"] = self.details
        return body


class InputError(DomainError):
    """A value given by the user is malformed or out of range."""

    status = 400
    code = "invalid_input"


class UnknownCRS(InputError):
    """A coordinate reference system the service does not accept (rule CRS-02)."""

    code = "unknown_crs"


class OutsideChina(InputError):
    """Coordinates outside the area of use of CGCS2000 (rule CRS-01)."""

    code = "outside_china"


class InvalidGeometry(InputError):
    """A geometry that is broken, empty, self-intersecting or of the wrong type."""

    code = "invalid_geometry"


class EncodingProblem(InputError):
    """Text that is not in the stated encoding, or cannot be stored as GB 18030."""

    code = "wrong_encoding"


class SettingsBroken(DomainError):
    """A settings file the server reads (not one the user gave) is unreadable or wrong: the admin's to fix."""

    status = 503
    code = "settings_broken"


class PayloadTooLarge(DomainError):
    """An upload or body over the configured limit."""

    status = 413
    code = "payload_too_large"


class NotFound(DomainError):
    """A record, layer or page that does not exist."""

    status = 404
    code = "not_found"


class StaleVersion(DomainError):
    """An update based on an old version of a record; the client must reload (never merged)."""

    status = 409
    code = "stale_version"


class Conflict(DomainError):
    """A write that would break a uniqueness or state rule."""

    status = 409
    code = "conflict"


class NotAuthenticated(DomainError):
    """No valid login token."""

    status = 401
    code = "not_authenticated"


class Forbidden(DomainError):
    """Logged in, but the role may not do this."""

    status = 403
    code = "forbidden"
