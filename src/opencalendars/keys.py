"""Secrets the server makes once and every process shares: the key marketplace access tokens
are signed with, the key of the booking widget's links and forms. They live in the database
(`server_keys`), so every server process and host reads the same one; each process reads a key
once and keeps it (a key never changes)."""

import secrets
import threading
from weakref import WeakKeyDictionary

from sqlalchemy import BigInteger, String
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from opencalendars import clock
from opencalendars.db.base import Base
from opencalendars.db.database import Database


class ServerKey(Base):
    __tablename__ = "server_keys"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    secret: Mapped[str] = mapped_column(String(128))  # 32 random bytes, hex
    date_added_ms: Mapped[int] = mapped_column(BigInteger)


_known: WeakKeyDictionary = WeakKeyDictionary()
_known_lock = threading.Lock()


def _read(db: Database, name: str) -> bytes | None:
    with db.read() as session:
        key = session.get(ServerKey, name)
        return None if key is None else bytes.fromhex(key.secret)


def shared_secret(db: Database, name: str) -> bytes:
    """The key named `name`: made by the first process that needs it; a process racing it
    reads the winner's."""
    with _known_lock:
        known = _known.setdefault(db, {}).get(name)
    if known is not None:
        return known
    found = _read(db, name)
    if found is None:
        try:
            with db.write() as session:
                session.add(
                    ServerKey(
                        name=name, secret=secrets.token_hex(32), date_added_ms=clock.now_ms(session)
                    )
                )
        except IntegrityError:  # another process wrote it first
            pass
        found = _read(db, name)
    with _known_lock:
        _known[db][name] = found
    return found
