"""What a process does while it serves, beside answering requests."""

import gc

from fastapi.testclient import TestClient

from opencalendars.app import create_app
from opencalendars.settings import Settings


def test_the_startup_objects_are_left_out_of_full_collections_while_serving(tmp_path):
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'oc.db'}", rate_limits=None))
    gc.unfreeze()  # whatever an app started earlier in this test process froze
    try:
        with TestClient(app) as client:
            # The modules, routes and schemas of the process: far more than a request makes.
            assert gc.get_freeze_count() > 50_000
            assert client.get("/healthz").status_code == 200
        assert gc.get_freeze_count() == 0
    finally:
        app.state.db.dispose()
