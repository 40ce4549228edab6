"""Schemathesis hooks loaded into the fuzzing run (`SCHEMATHESIS_HOOKS=fuzz.fuzz_checks`).

`no_write_on_refusal`: a request answered 4xx changes nothing. Before every request that could
write (anything but GET), the whole database's content is fingerprinted; after a 4xx answer it
must be the same. The database is the fuzzed server's own (`OPENCALENDARS_FUZZ_DATABASE_URL`);
requests run one at a time (one Schemathesis worker), so nothing else writes in between but each
server process's compaction of location changes (db/location_versions.py), which moves rows from
one table to the other and leaves every location's versions as they were: those two tables count by
the versions they sum to, so a refused request that moved one is still caught.
"""

import hashlib
import os
from functools import cache

import schemathesis
from sqlalchemy import Engine, create_engine, func, select, union_all

from opencalendars.db.database import normalize_url
from opencalendars.db.location_versions import location_changes, location_versions
from opencalendars.db.migrations.models import metadata

READ_ONLY = {"GET", "HEAD", "OPTIONS"}
VERSION_TABLES = (location_changes, location_versions)
_before: dict[int, str] = {}


@cache
def engine() -> Engine:
    return create_engine(normalize_url(os.environ["OPENCALENDARS_FUZZ_DATABASE_URL"]))


def fingerprint() -> str:
    """A digest of every row of every table, in primary-key order."""
    digest = hashlib.sha256()
    with engine().connect() as connection:
        for table in metadata.sorted_tables:
            if table in VERSION_TABLES:
                continue
            order = list(table.primary_key.columns) or list(table.columns)
            for row in connection.execute(select(table).order_by(*order)):
                digest.update(repr(tuple(row)).encode())
            digest.update(b"|")
        for row in connection.execute(location_sums()):
            digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def location_sums():
    """Each location's version of each table: the sum of its weights in both tables, however
    compacted."""
    rows = union_all(
        *(
            select(table.c.location_id, table.c.table_name, table.c.weight)
            for table in VERSION_TABLES
        )
    ).subquery()
    return (
        select(rows.c.location_id, rows.c.table_name, func.sum(rows.c.weight))
        .group_by(rows.c.location_id, rows.c.table_name)
        .order_by(rows.c.location_id, rows.c.table_name)
    )


@schemathesis.hook
def before_call(ctx, case, kwargs):
    if case.method.upper() not in READ_ONLY:
        _before[id(case)] = fingerprint()


@schemathesis.check
def no_write_on_refusal(ctx, response, case):
    before = _before.pop(id(case), None)
    if before is None or not 400 <= response.status_code < 500:
        return None
    if fingerprint() != before:
        raise AssertionError(
            f"{case.method} {case.formatted_path} answered {response.status_code} but changed data"
        )
    return None
