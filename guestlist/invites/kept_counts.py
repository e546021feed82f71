"""Counts kept between requests until they can change: the invite list's tab counts and the statistics.

Counting every tab over the whole table costs more than the rest of a list page together
(about 20 ms at 100,000 invites on SQLite, 30 ms on PostgreSQL), and the statistics add
aggregates over every member and redemption (about 17 ms at 20,000 of each on PostgreSQL).
Both are the same answer for every request until something they count changes. So they
are kept per process (the tabs for the whole table and for each filter by creator or date
a list was narrowed to, since paging keeps them; the statistics once), with facts that
say when they stop being true:

- the ``InviteCountStamp`` row, which database triggers set to a new random value in the
  same transaction as any write that can change a count: an invite moving between tabs, a
  member's status, a redemption's state or day (so a write by any path or process is seen,
  and a rolled-back write leaves no stamp behind that a later write could repeat);
- the next moment an invite expires (``expires_at`` after the counts were taken), when the
  active and expired tabs change with no write at all; for the statistics also the end of
  the UTC day, when the chart of redemptions per day moves on.

The stamp is read before counting: a write committed in between then changes the stamp
the next reader sees, so counts newer than their stamp are recounted, never served stale.
On PostgreSQL the trigger runs at commit (a deferred constraint trigger), so the stamp's
row lock is the last lock a transaction takes and never held while it waits for another;
it writes the row once per transaction (a transaction-local flag), since every further
write of one row in one transaction adds a version the next must step over (a bulk
update of 40,000 invites took 12 s at commit before the flag).

SQLite drops a table's triggers when a migration rebuilds it; ``ensure_count_triggers``
runs at every start (``guestlist.server.prepare``) and a foundation test checks them.
"""

from __future__ import annotations

import copy
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection as default_connection

# Each table's columns the counts read: the tab filters (``guestlist.invites.status.filter_q``),
# the member counts by status, the live redemptions per day (``guestlist.invites.stats``).
WATCHED = {
    "invites_invite": ("is_active", "is_used_up", "expires_at", "used_count"),
    "members_member": ("status",),
    "invites_redemption": ("state", "created_at"),
}
# A bound on trusting the cache at all, should a trigger ever be missing.
LONGEST = timedelta(seconds=60)

# Per table, each trigger's name and when it fires.
_SQLITE_TRIGGERS = {
    table: {
        f"{table}_counts_{event}": f"AFTER {when} ON {table}"
        for event, when in (("insert", "INSERT"), ("delete", "DELETE"), ("update", f"UPDATE OF {', '.join(columns)}"))
    }
    for table, columns in WATCHED.items()
}
_SQLITE_BODY = "BEGIN UPDATE invites_invitecountstamp SET stamp = random() WHERE id = 1; END"

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION invites_invite_counts_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('guestlist.counts_stamped', true) = 'y' THEN
        RETURN NULL;
    END IF;
    PERFORM set_config('guestlist.counts_stamped', 'y', true);
    UPDATE invites_invitecountstamp SET stamp = (random() * 9e18)::bigint WHERE id = 1;
    RETURN NULL;
END $$
"""
_PG_TRIGGERS = {
    table: {
        f"{table}_counts_change": f"AFTER INSERT OR DELETE OR UPDATE OF {', '.join(columns)} ON {table} "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
    }
    for table, columns in WATCHED.items()
}


def _triggers(connection: Any, tables: tuple[str, ...] = tuple(WATCHED)) -> dict[str, tuple[str, str]]:
    """This database's count triggers on ``tables``: name → (table, when it fires)."""
    chosen = _SQLITE_TRIGGERS if connection.vendor == "sqlite" else _PG_TRIGGERS
    return {name: (table, when) for table in tables for name, when in chosen[table].items()}


@dataclass(frozen=True)
class _Cached:
    stamp: int
    taken_at: datetime
    good_until: datetime  # the next expiry after taken_at (or taken_at + LONGEST)
    counts: Any


# Per database and what was counted: a list filter (the whole table is "") or STATISTICS;
# a few dozen at most.
_cache: dict[tuple[str, str], _Cached] = {}
MOST_KEPT = 64
STATISTICS = "statistics"  # no list filter's key (those are reprs of tuples)


def _key(connection: Any, narrowing: str) -> tuple[str, str]:
    return (f"{connection.vendor}:{connection.settings_dict['NAME']}", narrowing)


def read_stamp(connection: Any = None) -> int | None:
    """The current stamp (None: its row is gone, e.g. a test flushed the tables)."""
    connection = connection or default_connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT stamp FROM invites_invitecountstamp WHERE id = 1")
        row = cursor.fetchone()
    return None if row is None else int(row[0])


def cached(now: datetime, stamp: int | None, narrowing: str = "", connection: Any = None) -> Any:
    """The counts kept for this stamp and filter (a copy), if they still hold at ``now``; else None."""
    if stamp is None:
        return None
    entry = _cache.get(_key(connection or default_connection, narrowing))
    if entry is None or entry.stamp != stamp or not entry.taken_at <= now < entry.good_until:
        return None
    return copy.deepcopy(entry.counts)


def keep(
    now: datetime,
    stamp: int | None,
    counts: Any,
    narrowing: str = "",
    connection: Any = None,
    *,
    until: datetime | None = None,
) -> None:
    """Keep counts taken at ``now`` under ``stamp`` (read before counting) until the next
    expiry, or ``until`` if that comes first."""
    if stamp is None:
        return
    connection = connection or default_connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT MIN(expires_at) FROM invites_invite WHERE expires_at > %s", [now])
        row = cursor.fetchone()
    next_expiry = row[0] if row else None
    if isinstance(next_expiry, str):  # SQLite's raw answer is text
        next_expiry = datetime.fromisoformat(next_expiry)
    if next_expiry is not None and next_expiry.tzinfo is None:
        next_expiry = next_expiry.replace(tzinfo=now.tzinfo)
    good_until = min(filter(None, (next_expiry, now + LONGEST, until)))
    if len(_cache) >= MOST_KEPT:
        _cache.pop(next(iter(_cache)))  # the oldest kept
    _cache[_key(connection, narrowing)] = _Cached(stamp, now, good_until, copy.deepcopy(counts))


def forget() -> None:
    _cache.clear()


def ensure_count_triggers(connection: Any = None, *, tables: tuple[str, ...] = tuple(WATCHED)) -> None:
    """Create the stamp's row and triggers where missing; safe at every start.

    ``tables``: a migration made before some of them existed names the ones it may touch."""
    connection = connection or default_connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM invites_invitecountstamp WHERE id = 1")
        if cursor.fetchone()[0] == 0:
            # A random first value: a row made again (after a flush) never repeats an old stamp.
            first = secrets.randbits(62)
            cursor.execute("INSERT INTO invites_invitecountstamp (id, stamp) VALUES (1, %s)", [first])
        if connection.vendor == "sqlite":
            for name, (_table, when) in _triggers(connection, tables).items():
                cursor.execute(f"CREATE TRIGGER IF NOT EXISTS {name} {when} {_SQLITE_BODY}")
        elif connection.vendor == "postgresql":
            cursor.execute(_PG_FUNCTION)
            for name, (_table, when) in _triggers(connection, tables).items():
                cursor.execute("SELECT 1 FROM pg_trigger WHERE tgname = %s", [name])
                if cursor.fetchone() is None:
                    cursor.execute(
                        f"CREATE CONSTRAINT TRIGGER {name} {when} EXECUTE FUNCTION invites_invite_counts_stamp()"
                    )


def trigger_names(connection: Any = None) -> set[str]:
    """The count triggers this database has now (checked by the foundation tests)."""
    connection = connection or default_connection
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute("SELECT tgname FROM pg_trigger")
        return {str(row[0]) for row in cursor.fetchall()} & set(_triggers(connection))


def expected_trigger_names(connection: Any = None) -> set[str]:
    return set(_triggers(connection or default_connection))


def drop_count_triggers(connection: Any, *, tables: tuple[str, ...]) -> None:
    """Undo ``ensure_count_triggers`` on ``tables`` (the migrations' way back)."""
    with connection.cursor() as cursor:
        for name, (table, _when) in _triggers(connection, tables).items():
            on = "" if connection.vendor == "sqlite" else f" ON {table}"
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}{on}")
