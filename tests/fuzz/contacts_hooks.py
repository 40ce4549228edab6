"""Schemathesis hooks of the contacts fuzzing run (`SCHEMATHESIS_HOOKS=fuzz.contacts_hooks`):
fuzz_checks' `no_write_on_refusal`, and request bodies that name the fuzzed location half of the
time (`OPENCALENDARS_FUZZ_LOCATION_ID`), so that creates, upserts and searches get past the 403
of tenancy and reach validation and the database."""

import os

import hypothesis.strategies as st
import schemathesis

from fuzz import fuzz_checks  # noqa: F401  (registers its hooks and the no-write check)


@schemathesis.hook
def flatmap_body(ctx, body):
    if isinstance(body, dict) and "locationId" in body:
        ours = {**body, "locationId": os.environ["OPENCALENDARS_FUZZ_LOCATION_ID"]}
        return st.sampled_from([ours, body])
    return st.just(body)
