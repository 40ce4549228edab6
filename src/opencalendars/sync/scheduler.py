"""The worker's calendar-sync step: every connection is synced every
`OPENCALENDARS_SYNC_INTERVAL_MINUTES` (default 10) by whichever worker claims it first.

`sync_step(db)` is called by the delivery worker on each turn of its loop (events/worker.py).
It costs nothing most turns: at most every `CHECK_S` seconds, and only when this process has no
sync running, it starts a background thread that claims the due connections (with a lease in
the database, so that several workers never sync one connection at once) and syncs them one
after the other. A slow or unreachable calendar server therefore never delays deliveries, and
a worker that dies mid-sync leaves a lease that runs out (sync/connections.LEASE_MS).
"""

import logging
import threading
import time

from opencalendars.db.database import Database
from opencalendars.sync import connections, keys

log = logging.getLogger("opencalendars.sync")

CHECK_S = 30.0
# Connections claimed by one background run at most (the next run takes the rest).
BATCH = 50

_guard = threading.Lock()
_last_check: dict[int, float] = {}
_running: dict[int, threading.Thread] = {}


def sync_step(db: Database, *, now_s: float | None = None) -> bool:
    """Start a background sync of the due connections when one is due to be looked for;
    True when it started one. Never raises: the worker's loop must go on."""
    now_s = time.monotonic() if now_s is None else now_s
    key = id(db)
    with _guard:
        if now_s - _last_check.get(key, float("-inf")) < CHECK_S:
            return False
        running = _running.get(key)
        if running is not None and running.is_alive():
            return False
        _last_check[key] = now_s
        thread = threading.Thread(target=_run_due, args=(db,), name="calendar-sync", daemon=True)
        _running[key] = thread
    thread.start()
    return True


def _run_due(db: Database) -> None:
    try:
        done = connections.sync_due(db, BATCH, keys.interval_ms())
        if done:
            log.debug("calendar sync: %d connections synced", done)
    except Exception:  # the database may be restarting: the next check tries again
        log.exception("calendar sync: the due connections could not be synced")
