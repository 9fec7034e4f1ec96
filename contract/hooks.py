"""Schemathesis hooks of scripts/contract.sh (docs/contract-testing.md).

JSON Schema cannot relate two values of a request, nor bound a time by the clock, so
the document states these rules in descriptions only:

- a match's player ids are unique (``players[].id``);
- ``quietHours.start`` and ``quietHours.end`` differ;
- ``sendAt`` is at most 366 days ahead;
- an event's ``playerId`` is a player of that match (known only to the server);
- what a store cannot hold, inside the free-form ``metadata`` and ``data`` objects: a
  NUL in a key at any depth (the document states it for the top-level keys with
  ``propertyNames``; deeper keys would need a recursive schema, which the Python
  client's generator cannot read), nesting past 32 levels, integers beyond i64
  (``herald_core::storable``).

Positive (schema-valid) cases that break the first three or the last are dropped
before they are sent; a positive event refused with 422 because its player is not one of the match's
is not counted as a failure. Nothing else is filtered: every other schema-valid
request must be accepted, every schema-invalid one refused.
"""

import sys
from datetime import datetime, timedelta, timezone

import schemathesis

# Deeply nested generated bodies can exhaust the default recursion limit while Python
# builds an AST of them; on CPython 3.11 that RecursionError leaves the AST
# constructor's depth counter wrong and surfaces as "SystemError: AST constructor
# recursion depth mismatch" (python/cpython#106905). More headroom keeps the error away.
sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))

MAX_SCHEDULE_DAYS = 366
MAX_JSON_DEPTH = 32
I64 = (-(2**63), 2**63 - 1)


def _storable(value, depth=0):
    """What ``herald_core::storable`` accepts in ``metadata`` and ``data``."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return True
    if isinstance(value, int):
        return I64[0] <= value <= I64[1]
    if isinstance(value, float):
        return True
    if depth + 1 > MAX_JSON_DEPTH:
        return False
    if isinstance(value, list):
        return all(_storable(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return all("\x00" not in k and _storable(v, depth + 1) for k, v in value.items())
    return True


def _free_form_ok(obj):
    """Every ``metadata``/``data`` object in a body is storable."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k in ("metadata", "data") and isinstance(v, dict) and not _storable(v):
                return False
            if not _free_form_ok(v):
                return False
    elif isinstance(obj, list):
        return all(_free_form_ok(v) for v in obj)
    return True


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
    if not _free_form_ok(case.body):
        return False
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
    """Keep every failure but two 422s no schema can state: an event's player the match
    does not have, and an Idempotency-Key already used with another body (the
    generator reuses header values across bodies)."""
    if response.status_code != 422:
        return True
    try:
        error = response.json().get("error", {})
    except ValueError:
        return True
    if error.get("code") == "idempotency_key_reused":
        return False
    if case.operation.path != "/v1/matches/{id}/events":
        return True
    return not (error.get("field") == "playerId" and "is not a player of this match" in error.get("message", ""))
