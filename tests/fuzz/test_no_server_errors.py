"""Schemathesis against a live server: generated requests for every served operation never
get a 5xx. The OpenAPI document is rebuilt from the facts-only contract extract, so the test
runs in any clone."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx

from contract.test_contract import SERVED
from support.api import create_tenant
from support.contract import contract

EXAMPLES_PER_OPERATION = int(os.environ.get("OPENCALENDARS_FUZZ_EXAMPLES", "12"))


def openapi_document() -> dict:
    """A valid OpenAPI 3 document of the served operations, from the extract."""
    facts = contract()
    paths: dict = {}
    for path, item in facts["paths"].items():
        for method, operation in item.items():
            if operation["operationId"] not in SERVED:
                continue
            parameters = [
                {
                    "name": p["name"],
                    "in": p["in"],
                    "required": p["required"] or p["in"] == "path",
                    "schema": p["schema"],
                }
                for p in operation["parameters"]
            ]
            # The spec forgets `noteId` on two note operations; the path names it anyway.
            declared = {p["name"] for p in parameters if p["in"] == "path"}
            parameters += [
                {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                for name in re.findall(r"\{(\w+)\}", path)
                if name not in declared
            ]
            entry = {
                "operationId": operation["operationId"],
                "parameters": parameters,
                "responses": {status: {"description": status} for status in operation["responses"]},
            }
            body = operation["requestBody"]
            if body is not None and body["schema"] is not None:
                entry["requestBody"] = {
                    "required": body["required"],
                    "content": {"application/json": {"schema": body["schema"]}},
                }
            paths.setdefault(path, {})[method] = entry
    return {
        "openapi": "3.0.3",
        "info": {"title": "OpenCalendars (served operations)", "version": "1"},
        "paths": paths,
        "components": facts["components"],
    }


def test_generated_requests_never_get_a_server_error(server, tmp_path):
    with httpx.Client(base_url=server.base_url) as client:
        tenant = create_tenant(client, timezone="America/New_York")
    document = tmp_path / "openapi.json"
    document.write_text(json.dumps(openapi_document()))
    # Most operations need the token's own location to get past the 403 of tenancy.
    config = tmp_path / "schemathesis.toml"
    config.write_text(f'[parameters]\n"query.locationId" = "{tenant.location_id}"\n')
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file", str(config),
        "run", str(document),
        "--url", server.base_url,
        "--header", f"Authorization: Bearer {tenant.token}",
        "--checks", "not_a_server_error",
        "--max-examples", str(EXAMPLES_PER_OPERATION),
        "--phases", "examples,coverage,fuzzing",
        "--seed", "20261124",
        # One worker: two Hypothesis threads can trip CPython 3.11's `ast` (a SystemError in
        # Hypothesis's own reflection code, not in the server).
        "--workers", "1",
    ]  # fmt: skip

    result = subprocess.run(command, capture_output=True, text=True, timeout=900, cwd=tmp_path)

    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "Server error" not in result.stdout
