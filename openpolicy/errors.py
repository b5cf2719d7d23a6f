"""One error hierarchy for the whole platform.

Each error knows its HTTP status and renders as one RFC 9457 problem document, so the API,
the web site and the CLI report the same condition the same way and never as a stack trace.
"""

from __future__ import annotations

from typing import Any, ClassVar

PROBLEM_CONTENT_TYPE = "application/problem+json"


class OpenPolicyError(Exception):
    """Base of every expected error: carries an HTTP status and a human-readable detail."""

    status_code: ClassVar[int] = 500
    title: ClassVar[str] = "Internal error"
    type_slug: ClassVar[str] = "internal-error"
    exit_code: ClassVar[int] = 1

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra

    def to_problem(self, instance: str | None = None) -> dict[str, Any]:
        """The problem document (RFC 9457) for this error."""
        problem: dict[str, Any] = {
            "type": f"https://openpolicy.ca/problems/{self.type_slug}",
            "title": self.title,
            "status": self.status_code,
            "detail": self.detail,
        }
        if instance is not None:
            problem["instance"] = instance
        problem.update(self.extra)
        return problem


class ConfigurationError(OpenPolicyError):
    """A setting or env file is missing or invalid."""

    title = "Configuration error"
    type_slug = "configuration-error"
    exit_code = 2


class BadRequestError(OpenPolicyError):
    """The client sent a parameter we cannot use; `detail` names it and what was expected."""

    status_code = 400
    title = "Bad request"
    type_slug = "bad-request"
    exit_code = 2


class ValidationFailedError(BadRequestError):
    """Well-formed input whose values are out of range or of the wrong shape."""

    status_code = 422
    title = "Validation failed"
    type_slug = "validation-failed"


class UnauthorizedError(OpenPolicyError):
    status_code = 401
    title = "Unauthorized"
    type_slug = "unauthorized"


class ForbiddenError(OpenPolicyError):
    status_code = 403
    title = "Forbidden"
    type_slug = "forbidden"


class NotFoundError(OpenPolicyError):
    status_code = 404
    title = "Not found"
    type_slug = "not-found"
    exit_code = 3


class ConflictError(OpenPolicyError):
    status_code = 409
    title = "Conflict"
    type_slug = "conflict"


class RateLimitedError(OpenPolicyError):
    status_code = 429
    title = "Too many requests"
    type_slug = "rate-limited"

    def __init__(self, detail: str, retry_after: int, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.retry_after = retry_after


class ServiceUnavailableError(OpenPolicyError):
    """A dependency is down or the service is in maintenance; clients should retry later."""

    status_code = 503
    title = "Service unavailable"
    type_slug = "service-unavailable"

    def __init__(self, detail: str, retry_after: int | None = None, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.retry_after = retry_after


class DatabaseUnavailableError(ServiceUnavailableError):
    title = "Database unavailable"
    type_slug = "database-unavailable"
    exit_code = 4


class MaintenanceError(ServiceUnavailableError):
    title = "Down for maintenance"
    type_slug = "maintenance"
