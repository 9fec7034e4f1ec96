"""Summarises a Schemathesis NDJSON report: cases and the statuses each operation
answered, per phase (the table docs/contract-testing.md records)."""

import json
import sys
from collections import Counter, defaultdict


def main(path):
    cases = Counter()
    statuses = defaultdict(Counter)
    modes = Counter()
    seed = None
    for line in open(path, encoding="utf-8"):
        event = json.loads(line)
        kind, body = next(iter(event.items()))
        if kind == "Initialize":
            seed = body.get("seed")
        if kind != "ScenarioFinished":
            continue
        recorder = body.get("recorder") or {}
        phase = body.get("phase")
        for case_id, interaction in (recorder.get("interactions") or {}).items():
            request = interaction.get("request") or {}
            response = interaction.get("response") or {}
            case = (recorder.get("cases") or {}).get(case_id, {}).get("value", {})
            label = f"{case.get('method', request.get('method'))} {case.get('path', '?')}"
            cases[phase] += 1
            statuses[label][response.get("status_code", "no response")] += 1
            mode = ((case.get("meta") or {}).get("generation") or {}).get("mode", "?")
            modes[mode] += 1
    print(f"Schemathesis report {path} (seed {seed})\n")
    print(f"Requests sent: {sum(cases.values())} ({', '.join(f'{p} {n}' for p, n in cases.items())});")
    print(f"by generation mode: {', '.join(f'{m} {n}' for m, n in modes.items())}\n")
    # Schemathesis's unsupported_method check sends each undocumented method once per
    # path: summed up in one row.
    others = Counter()
    for label in list(statuses):
        if set(statuses[label]) == {405}:
            others.update(statuses.pop(label))
    print("| operation | answers (status × count) |")
    print("|---|---|")
    if others:
        print(f"| undocumented methods on every path | {', '.join(f'{s} × {n}' for s, n in others.items())} |")
    for label in sorted(statuses):
        answers = ", ".join(f"{s} × {n}" for s, n in sorted(statuses[label].items(), key=lambda x: str(x[0])))
        print(f"| `{label}` | {answers} |")


if __name__ == "__main__":
    main(sys.argv[1])
