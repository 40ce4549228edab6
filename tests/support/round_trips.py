"""The round trips of write plans on PostgreSQL (db/loop_writes.py), counted as they go out."""

from opencalendars.db import loop_writes


def count_round_trips(monkeypatch) -> list:
    """A list that gets, for each round trip a write plan sends from now on, its number of
    statements, or how it ends the transaction (`COMMIT` with the writes, `ROLLBACK` alone)."""
    sent: list = []
    real = loop_writes.send_round

    async def counted(connection, statements, **kwargs):
        sent.append(kwargs.get("end") or len(statements))
        return await real(connection, statements, **kwargs)

    monkeypatch.setattr(loop_writes, "send_round", counted)
    return sent
