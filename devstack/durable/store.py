"""SQLite persistence for the Durable engine: the durable copy of everything the engine knows.

The engine keeps live instances in memory and writes every state change here in one transaction,
in the same spirit as DTFx over Azure Storage: history and the messages that produce it move
together. In particular an activity's result is written (its work row deleted, its completion
message inserted) before an episode consumes it, and an episode's history, new work and consumed
messages commit atomically. After a crash `load_active` returns exactly what was in flight.

WAL mode with `synchronous=NORMAL` survives a killed process (not a power cut), which is what a
local dev stack needs.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS instances (
    instance_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    execution_id TEXT NOT NULL,
    status TEXT NOT NULL,
    input TEXT,
    output TEXT,
    custom_status TEXT,
    created_time TEXT NOT NULL,
    last_updated_time TEXT NOT NULL,
    parent TEXT,
    ledger TEXT,
    failure_details TEXT
);
CREATE INDEX IF NOT EXISTS instances_created ON instances (created_time, instance_id);
CREATE INDEX IF NOT EXISTS instances_status ON instances (status);
CREATE TABLE IF NOT EXISTS history (
    instance_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    event TEXT NOT NULL,
    PRIMARY KEY (instance_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS inbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    instance_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS inbox_instance ON inbox (instance_id, id);
CREATE TABLE IF NOT EXISTS activities (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    instance_id TEXT NOT NULL,
    execution_id TEXT NOT NULL,
    task_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    input TEXT
);
CREATE TABLE IF NOT EXISTS timers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    instance_id TEXT NOT NULL,
    execution_id TEXT NOT NULL,
    timer_id INTEGER NOT NULL,
    fire_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS timers_instance ON timers (instance_id, execution_id, timer_id);
"""

INSTANCE_COLUMNS = (
    "instance_id",
    "name",
    "execution_id",
    "status",
    "input",
    "output",
    "custom_status",
    "created_time",
    "last_updated_time",
    "parent",
    "ledger",
    "failure_details",
)


@dataclass(frozen=True, slots=True)
class Message:
    """A message waiting for an instance: a history event to deliver, or a control request."""

    id: int
    instance_id: str
    kind: str  # "event" | "terminate" | "suspend" | "resume"
    body: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ActivityRow:
    id: int
    instance_id: str
    execution_id: str
    task_id: int
    name: str
    input_json: str | None


@dataclass(frozen=True, slots=True)
class TimerRow:
    id: int
    instance_id: str
    execution_id: str
    timer_id: int
    fire_at: str


class Store:
    """One SQLite file per task hub under the engine's data folder."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # The engine touches the store only from its event-loop thread.
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes so they commit together or not at all."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- instances -------------------------------------------------------------------------------

    def upsert_instance(self, row: dict[str, Any]) -> None:
        """Insert or replace an instance row (all `INSTANCE_COLUMNS`)."""
        values = [row.get(column) for column in INSTANCE_COLUMNS]
        placeholders = ", ".join("?" for _ in INSTANCE_COLUMNS)
        self._db.execute(
            f"INSERT OR REPLACE INTO instances ({', '.join(INSTANCE_COLUMNS)}) VALUES ({placeholders})",  # noqa: S608 - fixed column names
            values,
        )

    def get_instance(self, instance_id: str) -> dict[str, Any] | None:
        """Return one instance row, or None."""
        row = self._db.execute("SELECT * FROM instances WHERE instance_id = ?", (instance_id,)).fetchone()
        return dict(row) if row else None

    def query_instances(
        self,
        *,
        statuses: Sequence[str] = (),
        created_from: str | None = None,
        created_to: str | None = None,
        prefix: str | None = None,
        after: tuple[str, str] | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Instances matching the filters, ordered by (created_time, instance_id)."""
        clauses: list[str] = []
        params: list[Any] = []
        if statuses:
            clauses.append(f"status IN ({', '.join('?' for _ in statuses)})")
            params.extend(statuses)
        if created_from:
            clauses.append("created_time >= ?")
            params.append(created_from)
        if created_to:
            clauses.append("created_time <= ?")
            params.append(created_to)
        if prefix:
            clauses.append("substr(instance_id, 1, ?) = ?")
            params.extend([len(prefix), prefix])
        if after:
            clauses.append("(created_time, instance_id) > (?, ?)")
            params.extend(after)
        sql = "SELECT * FROM instances"
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        sql += " ORDER BY created_time, instance_id"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [dict(row) for row in self._db.execute(sql, params)]

    def delete_instances(self, instance_ids: Sequence[str]) -> None:
        """Remove instances and everything that belongs to them."""
        for table in ("instances", "history", "inbox", "activities", "timers"):
            self._db.executemany(f"DELETE FROM {table} WHERE instance_id = ?", [(i,) for i in instance_ids])  # noqa: S608

    # -- history ---------------------------------------------------------------------------------

    def append_history(self, instance_id: str, start_seq: int, events: Sequence[str]) -> None:
        """Append serialised events at positions `start_seq`, `start_seq + 1`, ..."""
        self._db.executemany(
            "INSERT INTO history (instance_id, seq, event) VALUES (?, ?, ?)",
            [(instance_id, start_seq + offset, event) for offset, event in enumerate(events)],
        )

    def clear_history(self, instance_id: str) -> None:
        """Drop the history of a finished generation (continue-as-new, restart)."""
        self._db.execute("DELETE FROM history WHERE instance_id = ?", (instance_id,))

    def load_history(self, instance_id: str) -> list[str]:
        """The current generation's events, as stored JSON text, in order."""
        rows = self._db.execute("SELECT event FROM history WHERE instance_id = ? ORDER BY seq", (instance_id,))
        return [row[0] for row in rows]

    # -- messages and work -------------------------------------------------------------------------

    def add_message(self, instance_id: str, kind: str, body: dict[str, Any]) -> int:
        """Queue a message for an instance; returns its id (delivery order)."""
        cursor = self._db.execute(
            "INSERT INTO inbox (instance_id, kind, body) VALUES (?, ?, ?)", (instance_id, kind, json.dumps(body))
        )
        return int(cursor.lastrowid or 0)

    def delete_messages(self, ids: Sequence[int]) -> None:
        """Remove consumed messages."""
        self._db.executemany("DELETE FROM inbox WHERE id = ?", [(i,) for i in ids])

    def add_activity(self, instance_id: str, execution_id: str, task_id: int, name: str, input_json: str | None) -> int:
        """Record an activity that must run (until its completion message replaces it)."""
        cursor = self._db.execute(
            "INSERT INTO activities (instance_id, execution_id, task_id, name, input) VALUES (?, ?, ?, ?, ?)",
            (instance_id, execution_id, task_id, name, input_json),
        )
        return int(cursor.lastrowid or 0)

    def delete_activity(self, row_id: int) -> None:
        """Forget an activity whose outcome has been recorded."""
        self._db.execute("DELETE FROM activities WHERE id = ?", (row_id,))

    def add_timer(self, instance_id: str, execution_id: str, timer_id: int, fire_at: str) -> int:
        """Record a pending durable timer."""
        cursor = self._db.execute(
            "INSERT INTO timers (instance_id, execution_id, timer_id, fire_at) VALUES (?, ?, ?, ?)",
            (instance_id, execution_id, timer_id, fire_at),
        )
        return int(cursor.lastrowid or 0)

    def delete_timer(self, row_id: int) -> None:
        """Forget a timer that fired or was cancelled."""
        self._db.execute("DELETE FROM timers WHERE id = ?", (row_id,))

    def delete_instance_work(self, instance_id: str) -> None:
        """Drop pending activities and timers of an instance (it ended or started over)."""
        self._db.execute("DELETE FROM activities WHERE instance_id = ?", (instance_id,))
        self._db.execute("DELETE FROM timers WHERE instance_id = ?", (instance_id,))

    # -- recovery ----------------------------------------------------------------------------------

    def active_instances(self, terminal: Sequence[str]) -> list[dict[str, Any]]:
        """Rows of instances not in a terminal status."""
        marks = ", ".join("?" for _ in terminal)
        sql = f"SELECT * FROM instances WHERE status NOT IN ({marks})"  # noqa: S608 - placeholders only
        return [dict(row) for row in self._db.execute(sql, list(terminal))]

    def all_messages(self) -> list[Message]:
        """Every queued message, in delivery order."""
        rows = self._db.execute("SELECT id, instance_id, kind, body FROM inbox ORDER BY id")
        return [Message(row[0], row[1], row[2], json.loads(row[3])) for row in rows]

    def all_activities(self) -> list[ActivityRow]:
        """Every activity that has not recorded an outcome."""
        rows = self._db.execute(
            "SELECT id, instance_id, execution_id, task_id, name, input FROM activities ORDER BY id"
        )
        return [ActivityRow(*row) for row in rows]

    def all_timers(self) -> list[TimerRow]:
        """Every pending timer."""
        rows = self._db.execute("SELECT id, instance_id, execution_id, timer_id, fire_at FROM timers ORDER BY id")
        return [TimerRow(*row) for row in rows]
