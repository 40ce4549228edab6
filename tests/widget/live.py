"""A real HTTP server (uvicorn, in a thread of the test process) of the app: the browser tests
open its pages. In-process rather than `opencalendars serve` so that the test may give the app a
roomy post limiter: its browsers all post from 127.0.0.1, more than 10 times a minute."""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from opencalendars.app import create_app
from opencalendars.settings import Settings
from support.api import ADMIN_KEY
from support.server import free_port
from widget.helpers import roomy_limiter


@contextmanager
def widget_server(database_url: str, timeout: float = 30) -> Iterator[str]:
    app = create_app(Settings(database_url=database_url, admin_key=ADMIN_KEY, rate_limits=None))
    roomy_limiter(app)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, name="widget-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the widget's test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        app.state.db.dispose()
