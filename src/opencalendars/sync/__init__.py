"""Calendar sync (PRODUCT §16, docs/calendar-sync.md): the staff's calendars in and out.

- `models.py`: feeds, the versions of what they published, connections, the busy spans synced.
- `feeds.py`: ICS subscription feeds (secret URLs) and what they hold; `ics.py` writes them.
- `connections.py`: conflict calendars (CalDAV or an ICS URL), their syncs and busy spans;
  `sources.py` fetches them, `expand.py` turns their events into busy spans.
- `writeback.py`: appointments written to a user's CalDAV calendar, queued through the outbox
  (`events.emit`) and delivered by the delivery worker.
- `keys.py`: the secret key passwords are encrypted with, and this area's settings.
- `scheduler.py`: the worker's sync step (due connections, in a background thread).
- `router.py`, `schemas.py`, `cli.py`: the public feed URL, the admin API, the CLI.

Free slots and both booking paths read the synced spans through `busy/external.py`.
"""
