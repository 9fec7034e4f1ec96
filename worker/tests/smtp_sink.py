"""A real SMTP server for the worker's email tests (aiosmtpd, on loopback).

Usage: python smtp_sink.py OUT.jsonl [--tls starttls|implicit --cert F --key F]
                                     [--auth USER:PASS]

Binds 127.0.0.1 on a free port, prints the port on the first line of stdout, then
appends one JSON object per accepted message to OUT.jsonl: the envelope (mail_from,
rcpt_tos), the parsed headers and text body, whether the session was TLS (`tls`, with
`tls_version`) and the authenticated login (`login`, null without AUTH).

`--tls starttls` offers STARTTLS and refuses mail before it; `--tls implicit` speaks
TLS from the first byte (port 465 style). `--cert`/`--key` are the server's PEM
certificate chain and key. `--auth USER:PASS` requires AUTH (PLAIN or LOGIN) with these
credentials before mail, and only over TLS; other credentials get `535 5.7.8`.

Recipients whose local part is `nosuchuser` are refused with `550 5.1.1` (a permanent
failure) and `busy` with `451 4.3.0` (a transient one), as a real relay would.
"""

import argparse
import asyncio
import email
import email.policy
import json
import ssl

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


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
        # After STARTTLS aiosmtpd sets session.ssl; with implicit TLS the transport
        # itself is the TLS one. Either way the transport knows its SSL object.
        ssl_object = server.transport.get_extra_info("ssl_object") if server.transport else None
        record = {
            "tls": session.ssl is not None or ssl_object is not None,
            "tls_version": ssl_object.version() if ssl_object is not None else None,
            "login": session.auth_data if session.authenticated else None,
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


class Authenticator:
    """Accepts exactly USER:PASS; the session's auth_data becomes the login."""

    def __init__(self, user, password):
        self.user = user
        self.password = password

    def __call__(self, server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login = auth_data.login.decode("utf-8", "replace")
        password = auth_data.password.decode("utf-8", "replace")
        if (login, password) == (self.user, self.password):
            return AuthResult(success=True, auth_data=login)
        return AuthResult(success=False, handled=False)


async def main(args):
    loop = asyncio.get_running_loop()
    handler = Handler(args.out)
    context = None
    if args.tls is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.cert, args.key)
    options = {}
    if args.auth is not None:
        user, password = args.auth.split(":", 1)
        options = dict(
            authenticator=Authenticator(user, password),
            auth_required=True,
            # aiosmtpd only knows of STARTTLS; an implicit-TLS session is TLS anyway.
            auth_require_tls=args.tls != "implicit",
        )
    if args.tls == "starttls":
        options.update(tls_context=context, require_starttls=True)

    def factory():
        return SMTP(handler, hostname="herald-test-smtp", **options)

    server = await loop.create_server(
        factory, "127.0.0.1", 0, ssl=context if args.tls == "implicit" else None
    )
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out")
    parser.add_argument("--tls", choices=["starttls", "implicit"])
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--auth", metavar="USER:PASS")
    args = parser.parse_args()
    if args.tls is not None and (args.cert is None or args.key is None):
        parser.error("--tls needs --cert and --key")
    if args.auth is not None and ":" not in args.auth:
        parser.error("--auth takes USER:PASS")
    return args


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
