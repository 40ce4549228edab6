"""The official SDK (`gohighlevel-api-client`) pointed at a live OpenCalendars server.

Every call is recorded with its HTTP status and whether the answer matches the
spec's response schema, so the harness can assert (and print) conformance.

A harness speaks one edition of the spec (`V3` by default). With `edition=V2021` it sends
`Version: 2021-04-15` for the operations that edition has and checks their answers against it;
the others (Services V2, event-calendar schedules) still go out, with `Version: v3`, as a real
client of both editions would send them.
"""

from dataclasses import dataclass, field

import httpx
from highlevel import HighLevel

from support.contract import V3, V2021, contract, operation, response_schema_errors

VERSIONS = {V3: "v3", V2021: "2021-04-15"}


@dataclass
class Outcome:
    operation_id: str
    status: int
    schema_errors: list[str]
    version: str = "v3"  # the Version header the request carried


@dataclass
class SdkHarness:
    base_url: str
    token: str
    outcomes: list[Outcome] = field(default_factory=list)
    edition: str = V3

    def __post_init__(self):
        # The SDK reads its base URL when a client is built: the one thing a user changes.
        HighLevel.BASE_URL = self.base_url
        self.sdk = HighLevel(private_integration_token=self.token)
        # Each SDK method sets `Version` from the instance's API_VERSION when it is awaited, so
        # an instance attribute chooses the version (for this client only) call by call.
        self.sdk.API_VERSION = VERSIONS[self.edition]
        self._last: httpx.Response | None = None
        self.sdk.http_client.event_hooks["response"].insert(0, self._remember)

    async def _remember(self, response: httpx.Response) -> None:
        self._last = response

    @property
    def calendars(self):
        return self.sdk.calendars

    def edition_for(self, spec_path: str, method: str) -> str:
        """The harness's edition when it has this operation, else v3."""
        paths = contract(self.edition)["paths"]
        return self.edition if method.lower() in paths.get(spec_path, {}) else V3

    async def send(self, spec_path: str, method: str, pending):
        """Await one SDK call with the Version its operation gets, without recording it
        (setup steps and expected refusals)."""
        self.sdk.API_VERSION = VERSIONS[self.edition_for(spec_path, method)]
        try:
            return await pending
        finally:
            self.sdk.API_VERSION = VERSIONS[self.edition]

    async def call(self, spec_path: str, method: str, pending) -> dict:
        """Await one SDK call, check its answer against the spec, and record the outcome."""
        edition = self.edition_for(spec_path, method)
        body = await self.send(spec_path, method, pending)
        status = self._last.status_code
        errors = response_schema_errors(spec_path, method, status, body, edition=edition)
        operation_id = operation(spec_path, method, edition)["operationId"]
        version = self._last.request.headers["Version"]
        self.outcomes.append(Outcome(operation_id, status, errors, version))
        assert not errors, (spec_path, method, version, errors)
        return body

    def table(self) -> str:
        versioned = self.edition != V3
        header = f"{'operation':<40} {'status':>6}  schema-valid"
        lines = [header + ("  version" if versioned else "")]
        for outcome in self.outcomes:
            valid = "yes" if not outcome.schema_errors else "NO"
            line = f"{outcome.operation_id:<40} {outcome.status:>6}  {valid:<12}"
            lines.append((line + "  " + outcome.version) if versioned else line.rstrip())
        return "\n".join(lines)

    def summary(self) -> str:
        """The table with one row per operation (in the order first called): every status it
        answered, whether every answer matched the schema, and how many calls it took."""
        versioned = self.edition != V3
        rows: dict[str, list[Outcome]] = {}
        for outcome in self.outcomes:
            rows.setdefault(outcome.operation_id, []).append(outcome)
        header = f"{'operation':<32} {'status':>7}  schema-valid  calls"
        lines = [header + ("  version" if versioned else "")]
        for operation_id, outcomes in rows.items():
            statuses = "/".join(str(s) for s in sorted({o.status for o in outcomes}))
            valid = "yes" if not any(o.schema_errors for o in outcomes) else "NO"
            line = f"{operation_id:<32} {statuses:>7}  {valid:<12}  {len(outcomes):>5}"
            if versioned:
                line += "  " + "/".join(sorted({o.version for o in outcomes}))
            lines.append(line)
        return "\n".join(lines)

    async def close(self) -> None:
        await self.sdk.http_client.aclose()
