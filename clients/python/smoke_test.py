"""Smoke test of the generated Python client against a live API (HERALD_URL,
HERALD_API_KEY; scripts/contract.sh python starts one): the same steps as the
TypeScript client's. Exits non-zero on the first broken promise."""

import os
import uuid
from datetime import datetime, timedelta, timezone

from herald_client import AuthenticatedClient
from herald_client.api.default import (
    append_match_event,
    cancel_job,
    create_match,
    create_notification,
    get_job,
    get_match,
    list_jobs,
)
from herald_client.models import (
    Accepted,
    Job,
    JobPage,
    JoinEvent,
    LogBodyNotification,
    Match,
    MatchView,
    ScoreEvent,
    SmsBodyNotification,
)


def main():
    client = AuthenticatedClient(base_url=os.environ["HERALD_URL"], token=os.environ["HERALD_API_KEY"])
    with client:
        key = f"py-smoke-{uuid.uuid4()}"
        send_at = (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()
        body = LogBodyNotification.from_dict(
            {"channel": "log", "recipient": {"address": "py-smoke"}, "body": "hello from Python", "sendAt": send_at}
        )

        created = create_notification.sync_detailed(client=client, body=body, idempotency_key=key)
        assert created.status_code == 202, created.content
        assert isinstance(created.parsed, Accepted) and created.parsed.status == "scheduled"
        job_id = created.parsed.id

        replayed = create_notification.sync_detailed(client=client, body=body, idempotency_key=key)
        assert replayed.status_code == 200 and replayed.parsed.id == job_id, replayed.content

        job = get_job.sync_detailed(job_id, client=client)
        assert job.status_code == 200 and isinstance(job.parsed, Job), job.content
        # Keys are stored in their route's namespace (docs/api.md, Idempotency).
        assert job.parsed.idempotency_key == f"notification/{key}"

        page = list_jobs.sync_detailed(client=client, status="scheduled", kind="notification", limit=50)
        assert page.status_code == 200 and isinstance(page.parsed, JobPage), page.content
        assert any(j.id == job_id for j in page.parsed.items), "the new job is listed"

        cancelled = cancel_job.sync_detailed(job_id, client=client)
        assert cancelled.status_code == 200 and cancelled.parsed.status == "cancelled", cancelled.content
        again = cancel_job.sync_detailed(job_id, client=client)
        assert again.status_code == 409 and again.parsed.error.code == "invalid_state", again.content

        refused = create_notification.sync_detailed(
            client=client, body=SmsBodyNotification.from_dict({"channel": "sms", "recipient": {"address": "+1"}, "body": "x"})
        )
        assert refused.status_code == 422, refused.content
        assert refused.parsed.error.code == "validation_failed"
        assert refused.parsed.error.field == "recipient.address"

        match = Match.from_dict({
            "type": "scoreboard",
            "durationSec": 600,
            "players": [
                {"id": "ada", "notify": {"channel": "log", "recipient": {"address": "ada"}}},
                {"id": "bob", "notify": {"channel": "log", "recipient": {"address": "bob"}}},
            ],
        })
        made = create_match.sync_detailed(client=client, body=match)
        assert made.status_code == 202, made.content
        match_id = made.parsed.id

        join = append_match_event.sync_detailed(match_id, client=client, body=JoinEvent(type_="join", player_id="ada"))
        assert join.status_code == 202 and join.parsed.seq == 1, join.content
        score = append_match_event.sync_detailed(
            match_id, client=client, body=ScoreEvent(type_="score", player_id="ada", points=3),
            idempotency_key=f"py-score-{uuid.uuid4()}",
        )
        assert score.status_code == 202 and score.parsed.seq == 2, score.content

        view = get_match.sync_detailed(match_id, client=client)
        assert view.status_code == 200 and isinstance(view.parsed, MatchView), view.content
        assert view.parsed.last_seq == 2
        assert [p.id for p in view.parsed.players] == ["ada", "bob"]
    print("python client smoke test: ok")


if __name__ == "__main__":
    main()
