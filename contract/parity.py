"""The document's verdict against the API's, value by value (scripts/contract.sh).

For each value below — the tricky cases of every pattern the document states (URL
hosts, IPv4 shorthands, Unicode whitespace, non-ASCII addresses, time zones...) and
strings Hypothesis draws from each address pattern and from arbitrary text — the
request is validated against the served document's schema (jsonschema_rs, the
validator Schemathesis uses) and sent to the live API. They must agree: schema-valid
is accepted (202), schema-invalid is refused (4xx). Any disagreement is printed and
fails the run.

    python contract/parity.py BASE_URL API_KEY [SEED]
"""

import json
import random
import sys
import urllib.error
import urllib.request

import jsonschema_rs
from hypothesis import HealthCheck, given, seed, settings, strategies as st

BASE, KEY = sys.argv[1], sys.argv[2]
SEED = int(sys.argv[3]) if len(sys.argv) > 3 else 20


def get(path):
    with urllib.request.urlopen(BASE + path, timeout=30) as r:
        return json.load(r)


def post(path, body):
    request = urllib.request.Request(
        BASE + path,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


DOC = get("/openapi.json")


def validator(name):
    return jsonschema_rs.validator_for(
        {"$ref": f"#/components/schemas/{name}", "components": DOC["components"]}, validate_formats=True
    )


NOTIFICATION = validator("Notification")
MATCH = validator("Match")
disagreements = []
checked = 0


def check(path, schema, body):
    global checked
    checked += 1
    valid = schema.is_valid(body)
    status, answer = post(path, body)
    accepted = status in (200, 202)
    if status >= 500 or valid != accepted:
        disagreements.append((path, body, "valid" if valid else "invalid", status, answer))


def notification(channel, address, **fields):
    body = {"channel": channel, "recipient": {"address": address}, "body": "hi"}
    body.update(fields)
    return body


ADDRESSES = {
    "webhook": [
        "https://example.com/hook", "http://10.0.0.1:8080/x?y=1", "https://[::1]:9/p", "http://[1::]/",
        "HTTPS://EXAMPLE.COM", "http://1.2.3.4:0080/", "http://a-1.b2.example/x?y#z", "http://x/",
        "http://127.1/", "http://0x7f.0.0.1/", "http://2130706433/", "http://1.2.3.4.5/", "http://256.1.1.1/",
        "http://01.2.3.4/", "http://example.123/", "http://[::ffff:127.0.0.1]/", "http://[0]/", "http://[::1/",
        "http://a..b/", "http://example.com./", "http://example.com:0/", "http://example.com:65536/",
        "http://example.com:65535/", "http://example.com:00001/", "http://example.com:000001/",
        "https://user:pw@example.com", "ftp://example.com", "example.com/hook", "https://", "//example.com",
        "http://exa mple.com", "http://example.com/a b", "http://example.com/\u00e9", "http://ex\u00e4mple.com/",
        "http://example.com\\@evil.com/", "http://-a.example/", "http://a" + "b" * 63 + ".example/",
        "http://" + "a" * 63 + ".example/", "http://[1:2:3:4:5:6:7:8]/", "http://[1:2:3:4:5:6:7::]/",
        "http://[::1:2:3:4:5:6:7]/", "http://[1:2:3:4:5:6:7:8:9]/", "http://[12345::]/",
        "https://example.com/a%20b/~!$&'()*+,;=:@?q=/?#f/?", "https://example.com?x", "https://example.com#",
        "http://example.com/a|b", "http://example.com/{x}", "http://example.com/?x=[1]", "http://example.com/%zz",
        "http://example.com/%2", "http://example.com/#a#b", "http://example.com/a\\b", "http://example.com/a^b",
        "http://example.com/a`b", "http://example.com/a\"b", "http://example.com/<a>",
    ],
    "email": [
        "a@b.co", "first.last+tag@mail.example.com", "o'brien@example.ie", "user@xn--bcher-kva.example",
        "ab.co", "a@@b.co", "a@bco", "a@.b.co", "a@b.co.", "a..b@c.co", ".a@b.co", "a.@b.co", '"a"@b.co',
        "a<b>@c.co", "a@-b.co", "a@b-.co", "a@b_c.co", "\u00e9l\u00e8ve@example.fr", "a@b\u00fccher.example",
        "a@" + "b" * 63 + ".co", "a@" + "b" * 64 + ".co", "x" * 64 + "@b.co",
    ],
    "sms": ["+14155550123", "+6834002", "+123456789012345", "14155550123", "+0123456789", "+683400",
            "+1234567890123456", "+1 415 555 0123", "+\u0661\u0662\u0663\u0664\u0665\u0666\u0667"],
    "push": ["device-token-1", "t\u00f6ken", "tok en", "tok\u0000en", "~!@#$%^&*()"],
    "log": ["x", "", " ", "a\u00a0b", "a\u200bb", "a\u0085b", "a\u3000b", "a\u2028b", "\u00e9", "a\u007fb",
            "a\u0090b", "\U0001F600"],
}

SUBJECTS = ["ok", "", " ", "\u2003", "\u0085", "\u200b", "\u00a0x", "\u0000", "\u001c", "\ufeff", "\u180e"]
ZONES = ["Europe/Paris", "UTC", "Etc/GMT+5", "europe/paris", "Europe/Atlantis", "", "GMT0", "US/Pacific"]
TEMPLATES = ["welcome", "a/b.c-d_e", "", "a b", "\u00e9", "x" * 200, "x" * 201]


def corpus():
    for channel, addresses in ADDRESSES.items():
        for address in addresses:
            check("/v1/notifications", NOTIFICATION, notification(channel, address))
    for subject in SUBJECTS:
        check("/v1/notifications", NOTIFICATION, notification("log", "x", subject=subject))
    for zone in ZONES:
        body = notification("log", "x")
        body["recipient"]["timezone"] = zone
        check("/v1/notifications", NOTIFICATION, body)
    for template in TEMPLATES:
        body = notification("log", "x", template=template)
        del body["body"]
        check("/v1/notifications", NOTIFICATION, body)
    for extra in [{"template": "t"}, {"data": {"a": 1}}, {"maxAttempts": 23.0}, {"maxAttempts": 2.5},
                  {"metadata": None}, {"priority": "urgent"}, {"sendAt": "2020-01-01T00:00:00Z"},
                  {"sendAt": "2020-01-01T00:00:00"}, {"quietHours": {"start": "22:00", "end": "07:00"}},
                  {"quietHours": {"start": "24:00", "end": "07:00"}}]:
        check("/v1/notifications", NOTIFICATION, notification("log", "x", **extra))
    for address in ADDRESSES["webhook"][:12] + ADDRESSES["email"][:8]:
        channel = "webhook" if "://" in address or address.startswith("//") else "email"
        check("/v1/matches", MATCH, {"type": "scoreboard", "durationSec": 60,
                                     "players": [{"id": "p", "notify": {"channel": channel, "recipient": {"address": address}}}]})


def drawn(examples):
    """Strings drawn from each address pattern, and arbitrary text, as addresses."""
    recipients = DOC["components"]["schemas"]
    for channel in ADDRESSES:
        schema = recipients[channel.capitalize() + "Recipient"]["properties"]["address"]
        pattern = schema["pattern"]
        strings = st.one_of(st.from_regex(pattern, fullmatch=True), st.text(max_size=40))

        @seed(SEED)
        @settings(max_examples=examples, database=None, deadline=None, derandomize=False,
                  suppress_health_check=list(HealthCheck))
        @given(strings)
        def run(address):
            if len(address) <= schema["maxLength"]:
                check("/v1/notifications", NOTIFICATION, notification(channel, address))

        run()


if __name__ == "__main__":
    random.seed(SEED)
    corpus()
    drawn(100)
    for path, body, verdict, status, answer in disagreements:
        print(f"DISAGREE {path}: schema says {verdict}, API answered {status} {json.dumps(answer)}\n  {json.dumps(body)}")
    print(f"parity: {checked} requests, {len(disagreements)} disagreements between the document and the API")
    sys.exit(1 if disagreements else 0)
