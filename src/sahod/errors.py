"""One error tree. Every error a client can see is a ``SahodError``; one handler renders it."""

from __future__ import annotations


class SahodError(Exception):
    status_code = 500
    code = "SERVER_ERROR"
    default_message = "Something went wrong on our side; the request changed nothing."

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


class InvalidParameters(SahodError):
    status_code = 400
    code = "INVALID_PARAMETERS"
    default_message = "The request is not valid."


class InvalidToken(SahodError):
    status_code = 401
    code = "INVALID_TOKEN"
    default_message = "The credentials are missing or not valid."


class UnauthorizedAccess(SahodError):
    status_code = 403
    code = "UNAUTHORIZED_ACCESS"
    default_message = "This request is not allowed."


class MissingResource(SahodError):
    status_code = 404
    code = "MISSING_RESOURCE"
    default_message = "There is no such resource."


class UnsupportedMethod(SahodError):
    status_code = 405
    code = "UNSUPPORTED_METHOD"
    default_message = "This method is not supported on this path."


class UnsupportedType(SahodError):
    status_code = 415
    code = "UNSUPPORTED_TYPE"
    default_message = "The request body must be JSON (Content-Type: application/json)."


class RequestLimitExceeded(SahodError):
    status_code = 429
    code = "REQUEST_LIMIT_EXCEEDED"
    default_message = "Too many requests; try again later."


class ServerUnavailable(SahodError):
    status_code = 503
    code = "SERVER_UNAVAILABLE"
    default_message = "The service is unavailable; try again later."


class TimeLimitExceeded(SahodError):
    status_code = 504
    code = "TIME_LIMIT_EXCEEDED"
    default_message = "The request took too long and was stopped; it changed nothing."
