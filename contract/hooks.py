"""Schemathesis hooks of scripts/contract.sh (docs/contract-testing.md).

JSON Schema cannot relate two values of a request, nor bound a time by the clock, so
the document states these rules in descriptions only:

- a match's player ids are unique (``players[].id``);
- ``quietHours.start`` and ``quietHours.end`` differ;
- ``sendAt`` is at most 366 days ahead;
- an event's ``playerId`` is a player of that match (known only to the server).

Positive (schema-valid) cases that break the first three are dropped before they are
sent; a positive event refused with 422 because its player is not one of the match's
is not counted as a failure. Nothing else is filtered: every other schema-valid
request must be accepted, every schema-invalid one refused.
"""

from datetime import datetime, timedelta, timezone

import schemathesis

MAX_SCHEDULE_DAYS = 366


def _positive(case):
    meta = getattr(case, "meta", None)
    return meta is None or meta.generation.mode.is_positive


def _notification_ok(n):
    if not isinstance(n, dict):
        return True
    quiet = n.get("quietHours")
    if isinstance(quiet, dict) and "start" in quiet and quiet.get("start") == quiet.get("end"):
        return False
    at = n.get("sendAt")
    if isinstance(at, str):
        try:
            when = datetime.fromisoformat(at.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            return True
        if when.tzinfo is not None:
            # A day's margin: the server's clock reads "now" a little later.
            limit = datetime.now(timezone.utc) + timedelta(days=MAX_SCHEDULE_DAYS - 1)
            if when > limit:
                return False
    return True


@schemathesis.hook
def filter_case(context, case):
    if not _positive(case) or not isinstance(case.body, dict):
        return True
    path = case.operation.path
    if path == "/v1/notifications":
        return _notification_ok(case.body)
    if path == "/v1/notifications/batch":
        items = case.body.get("notifications")
        return not isinstance(items, list) or all(_notification_ok(n) for n in items)
    if path == "/v1/matches":
        players = case.body.get("players")
        if isinstance(players, list):
            ids = [p.get("id") for p in players if isinstance(p, dict)]
            return len(ids) == len(set(ids))
    return True


@schemathesis.hook
def filter_failure(context, failure, case, response):
    """Keep every failure but a 422 naming an event's player the match does not have."""
    if case.operation.path != "/v1/matches/{id}/events" or response.status_code != 422:
        return True
    try:
        error = response.json().get("error", {})
    except ValueError:
        return True
    return not (error.get("field") == "playerId" and "is not a player of this match" in error.get("message", ""))
