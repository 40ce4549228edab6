"""OAuth errors in RFC 6749's format (`error`, `error_description`), with the API's envelope
fields beside them so clients that read `message` (the official SDK) read it too."""

from opencalendars.errors import ApiError, envelope


class OAuthError(ApiError):
    def __init__(self, status_code: int, error: str, description: str):
        super().__init__(description)
        self.status_code = status_code
        self.error = error

    def body(self) -> dict:
        return {
            **envelope(self.status_code, self.message),
            "error": self.error,
            "error_description": self.message,
        }


# The AIP error codes of the v3 endpoints, by status.
AIP_CODES = {400: "INVALID_ARGUMENT", 404: "NOT_FOUND"}


class AipError(ApiError):
    """The v3 edition's error envelope (`AipErrorResponseDto`: `error.code`, `error.message`),
    with the usual fields beside it."""

    def __init__(self, cause: ApiError):
        super().__init__(cause.message)
        self.status_code = cause.status_code

    def body(self) -> dict:
        message = self.message if isinstance(self.message, str) else "; ".join(self.message)
        return {
            **envelope(self.status_code, self.message),
            "error": {"code": AIP_CODES.get(self.status_code, "UNKNOWN"), "message": message},
        }
