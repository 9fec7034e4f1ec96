"""A real SMTP server for the worker's email tests (aiosmtpd, on loopback).

Usage: python smtp_sink.py OUT.jsonl

Binds 127.0.0.1 on a free port, prints the port on the first line of stdout, then
appends one JSON object per accepted message to OUT.jsonl: the envelope (mail_from,
rcpt_tos) and the parsed headers and text body.

Recipients whose local part is `nosuchuser` are refused with `550 5.1.1` (a permanent
failure) and `busy` with `451 4.3.0` (a transient one), as a real relay would.
"""

import asyncio
import email
import email.policy
import json
import sys

from aiosmtpd.smtp import SMTP


class Handler:
    def __init__(self, out):
        self.out = out

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local == "nosuchuser":
            return "550 5.1.1 No such user here"
        if local == "busy":
            return "451 4.3.0 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = msg.get_body(preferencelist=("plain",))
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "from": str(msg["From"]),
            "to": str(msg["To"]),
            "subject": str(msg["Subject"]),
            "message_id": str(msg["Message-ID"]),
            "job_id": str(msg["X-Herald-Job-Id"]),
            "content_type": msg.get_content_type(),
            # SMTP carries CRLF line ends; report the text as written.
            "body": body.get_content().replace("\r\n", "\n") if body is not None else "",
        }
        with open(self.out, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
        return "250 Message accepted"


async def main(out):
    loop = asyncio.get_running_loop()
    handler = Handler(out)
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="herald-test-smtp"), "127.0.0.1", 0
    )
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
