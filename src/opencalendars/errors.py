"""The API's error vocabulary and its one envelope: `{"statusCode", "message", "error"}`.

Services and the store raise these; one handler in `app.py` turns them into responses, so no
route ever builds an error body by hand. They live at the top level, below every area and the
HTTP layer alike (docs/architecture.md).
"""

from http import HTTPStatus


class ApiError(Exception):
    status_code = 500

    def __init__(self, message: str | list[str]):
        super().__init__(message)
        self.message = message

    def body(self) -> dict:
        return envelope(self.status_code, self.message)


class BadRequest(ApiError):
    status_code = 400


class Unauthorized(ApiError):
    status_code = 401


class Forbidden(ApiError):
    status_code = 403


class NotFound(ApiError):
    status_code = 404


class Conflict(ApiError):
    status_code = 409


class Unprocessable(ApiError):
    status_code = 422


class ServiceUnavailable(ApiError):
    status_code = 503


# The real service's names where they differ from Python's phrases.
ERROR_NAMES = {413: "Payload Too Large"}


def envelope(status_code: int, message: str | list[str]) -> dict:
    return {
        "statusCode": status_code,
        "message": message,
        "error": ERROR_NAMES.get(status_code) or HTTPStatus(status_code).phrase,
    }


class PayloadTooLarge(ApiError):
    status_code = 413
