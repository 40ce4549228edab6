"""Hot reads: Core SELECTs compiled once per dialect and run straight on the DBAPI connection.

Through SQLAlchemy's `Connection.execute` a one-row lookup cost ~240 µs on this project's
benchmark machine (events, the compiled-cache lookup, result metadata, `Row` objects) where
SQLite itself took ~12 µs, and reading 2,000 busy spans for free slots took 5.5 ms. A
`PreparedRead` keeps SQLAlchemy for what it is good at, building the statement and compiling
it for each dialect, and runs the compiled SQL on the DBAPI cursor itself: inside a session's
transaction (`all`, `first`, a plan's rounds: db/batch.py), or on a connection of its own
(`Database.first_row`, `read_first`, `read_rows`). Parameters and columns still go through the
column types' own bind and result processors (JSON, booleans), so rows read the same as through
SQLAlchemy. Rows are named tuples: they unpack like tuples and answer attribute access by column
name, so DTO functions take them like ORM objects; bulk reads that only unpack (the busy spans
of free slots) ask for plain tuples, as the driver made them, which halves the cost of a big
result.
"""

from collections import namedtuple
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Dialect, Insert, Select, Table
from sqlalchemy.orm import Session
from sqlalchemy.sql import visitors
from sqlalchemy.sql.compiler import SQLCompiler

Processor = Callable[[Any], Any]


@dataclass(frozen=True)
class CompiledRead:
    compiled: SQLCompiler
    # `IN` lists (expanding parameters) are rendered by the lengths of the caller's lists.
    expanding: bool
    list_names: tuple[str, ...]
    positional: bool  # `?` placeholders (SQLite) or named ones (psycopg)
    literals: dict[str, Any]  # values written into the statement, such as `id == 1`
    bind_processors: dict[str, Processor]
    row_type: type | None  # None: plain tuples
    result_processors: tuple[Processor | None, ...] | None  # None: every column as read
    # The tables the statement names, by name (none for textual SQL): what its rows may be kept
    # by (db/read_cache.py).
    tables: tuple[str, ...]
    expansions: dict[tuple[int, ...], tuple] = field(default_factory=dict)

    def sql_and_parameters(self, values: dict) -> tuple[str, tuple | dict]:
        values = {**self.literals, **values}
        if self.expanding:
            sql, names, expansion, processors = self._expansion(values)
            for name, expanded_names in expansion.items():
                values.update(zip(expanded_names, values.pop(name), strict=True))
        else:
            sql, names, processors = self.compiled.string, self.compiled.positiontup, {}
        processors = {**self.bind_processors, **processors}
        values = {
            name: processors[name](value) if name in processors else value
            for name, value in values.items()
        }
        if not self.positional:
            return sql, values
        return sql, tuple(values[name] for name in names)

    def _expansion(self, values: dict) -> tuple:
        """The SQL for these lengths of the caller's lists, rendered once per lengths."""
        lengths = tuple(len(values[name]) for name in self.list_names)
        found = self.expansions.get(lengths)
        if found is None:
            state = self.compiled.construct_expanded_state(values)
            found = self.expansions[lengths] = (
                state.statement,
                state.positiontup,
                state.parameter_expansion,
                state.processors,
            )
        return found

    def row(self, raw: tuple) -> tuple:
        if self.result_processors is not None:
            raw = tuple(
                value if process is None or value is None else process(value)
                for process, value in zip(self.result_processors, raw, strict=True)
            )
        return raw if self.row_type is None else self.row_type._make(raw)

    def rows(self, raws: list[tuple]) -> list[tuple]:
        if self.row_type is None and self.result_processors is None:
            return raws
        return [self.row(raw) for raw in raws]

    def fetch(self, dbapi_connection: Any, parameters: dict, all_rows: bool):
        sql, values = self.sql_and_parameters(parameters)
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(sql, values)
            if all_rows:
                return self.rows(cursor.fetchall())
            raw = cursor.fetchone()
            return None if raw is None else self.row(raw)
        finally:
            cursor.close()


SESSION_CONNECTION = "opencalendars.dbapi_connection"


def hold_connection(session: Session) -> None:
    """Begin the session's transaction now and keep its DBAPI connection at hand: for a
    session that lives for one transaction (`Database.read`, `Database.write`), asking the
    session for its connection on every read costs more than many of the reads."""
    connection = session.connection()
    session.info[SESSION_CONNECTION] = (connection.dialect, connection.connection.dbapi_connection)


def session_connection(session: Session) -> tuple[Dialect, Any]:
    held = session.info.get(SESSION_CONNECTION)
    if held is not None:
        return held
    connection = session.connection()
    return connection.dialect, connection.connection.dbapi_connection


class PreparedRead:
    def __init__(self, statement: Select | Insert, named: bool = True):
        """`statement`: a SELECT, or an INSERT ... RETURNING (a new appointment's rows go in a
        plan's round with the reads of its events: appointments/store.py)."""
        self.statement = statement
        self.named = named
        self._by_dialect: dict[str, CompiledRead] = {}

    def compiled(self, dialect: Dialect) -> CompiledRead:
        found = self._by_dialect.get(dialect.name)
        if found is None:
            found = self._by_dialect[dialect.name] = self._compile(dialect)
        return found

    def all(self, session: Session, parameters: dict) -> list[tuple]:
        """Every row, read inside the session's transaction (its snapshot and its locks)."""
        dialect, dbapi_connection = session_connection(session)
        return self.compiled(dialect).fetch(dbapi_connection, parameters, all_rows=True)

    def first(self, session: Session, parameters: dict) -> tuple | None:
        dialect, dbapi_connection = session_connection(session)
        return self.compiled(dialect).fetch(dbapi_connection, parameters, all_rows=False)

    def _compile(self, dialect: Dialect) -> CompiledRead:
        compiled = self.statement.compile(dialect=dialect)
        bind_processors = {}
        for name, bind in compiled.binds.items():
            process = dialect.type_descriptor(bind.type).bind_processor(dialect)
            if process is not None:
                bind_processors[name] = process
        columns = list(self.statement.exported_columns)
        result_processors = tuple(
            dialect.type_descriptor(column.type).result_processor(dialect, None)
            for column in columns
        )
        return CompiledRead(
            compiled=compiled,
            expanding=any(bind.expanding for bind in compiled.binds.values()),
            list_names=tuple(
                name for name, bind in compiled.binds.items() if bind.expanding and bind.required
            ),
            positional=compiled.positional,
            literals={
                name: bind.effective_value
                for name, bind in compiled.binds.items()
                if not bind.required
            },
            bind_processors=bind_processors,
            row_type=namedtuple("Row", [column.key for column in columns]) if self.named else None,
            result_processors=None if not any(result_processors) else result_processors,
            tables=tuple(
                sorted(
                    {
                        element.name
                        for element in visitors.iterate(self.statement)
                        if isinstance(element, Table)
                    }
                )
            ),
        )
