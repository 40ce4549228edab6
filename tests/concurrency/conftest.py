"""Real server processes on one database, shared by the race tests of this package."""

from contextlib import ExitStack

import pytest

from support.databases import fresh_database
from support.server import live_server

SERVERS = 4


@pytest.fixture(scope="package")
def servers(tmp_path_factory):
    directory = tmp_path_factory.mktemp("race")
    with fresh_database(directory) as url, ExitStack() as stack:
        # The first server migrates; the others start against the same database.
        running = [stack.enter_context(live_server(url, directory)) for _ in range(SERVERS)]
        yield [server.base_url for server in running]
