"""The official SDK (`gohighlevel-api-client`) pointed at a live OpenCalendars server.

Every call is recorded with its HTTP status and whether the answer matches the
spec's response schema, so the harness can assert (and print) conformance.
"""

from dataclasses import dataclass, field

import httpx
from highlevel import HighLevel

from support.contract import operation, response_schema_errors


@dataclass
class Outcome:
    operation_id: str
    status: int
    schema_errors: list[str]


@dataclass
class SdkHarness:
    base_url: str
    token: str
    outcomes: list[Outcome] = field(default_factory=list)

    def __post_init__(self):
        # The SDK reads its base URL when a client is built: the one thing a user changes.
        HighLevel.BASE_URL = self.base_url
        self.sdk = HighLevel(private_integration_token=self.token)
        self._last: httpx.Response | None = None
        self.sdk.http_client.event_hooks["response"].insert(0, self._remember)

    async def _remember(self, response: httpx.Response) -> None:
        self._last = response

    @property
    def calendars(self):
        return self.sdk.calendars

    async def call(self, spec_path: str, method: str, pending) -> dict:
        """Await one SDK call, check its answer against the spec, and record the outcome."""
        body = await pending
        status = self._last.status_code
        errors = response_schema_errors(spec_path, method, status, body)
        self.outcomes.append(Outcome(operation(spec_path, method)["operationId"], status, errors))
        assert not errors, (spec_path, method, errors)
        return body

    def table(self) -> str:
        lines = [f"{'operation':<40} {'status':>6}  schema-valid"]
        for outcome in self.outcomes:
            valid = "yes" if not outcome.schema_errors else "NO"
            lines.append(f"{outcome.operation_id:<40} {outcome.status:>6}  {valid}")
        return "\n".join(lines)

    async def close(self) -> None:
        await self.sdk.http_client.aclose()
