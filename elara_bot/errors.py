"""Expected failures. Each carries an HTTP status; the API renders ``{"error": name, "detail": ...}``."""

from __future__ import annotations


class ElaraError(Exception):
    status_code = 400

    def __init__(
        self, message: str, status_code: int | None = None, *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers  # response headers (Retry-After, WWW-Authenticate)
        if status_code is not None:
            self.status_code = status_code

    @property
    def name(self) -> str:
        return type(self).__name__


class NotFound(ElaraError):
    status_code = 404


class InvalidInput(ElaraError):
    status_code = 422


class Conflict(ElaraError):
    status_code = 409


class Unauthorized(ElaraError):
    """401; the response says how to authenticate (RFC 9110: a 401 carries WWW-Authenticate)."""

    status_code = 401
    BEARER = 'Bearer realm="elara"'

    def __init__(self, message: str, *, challenge: str = BEARER) -> None:
        super().__init__(message, headers={"WWW-Authenticate": challenge})


class Forbidden(ElaraError):
    status_code = 403


class OutOfStock(Conflict):
    pass


class PaymentError(ElaraError):
    status_code = 502


class RateLimited(ElaraError):
    status_code = 429

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message, headers={"Retry-After": str(retry_after_s)})
        self.retry_after_s = retry_after_s


class ServiceUnavailable(ElaraError):
    status_code = 503
