"""Parse a Prometheus text exposition (0.0.4) as Prometheus' own Python client does.

Reads the exposition on stdin; writes one JSON object per sample on stdout:
  {"family": ..., "type": ..., "name": ..., "labels": {...}, "value": ...}
A malformed exposition makes the parser raise: the error goes to stderr and the exit
status is 1.

Used by the depot's tests to check `/metrics` against an independent parser.
"""
import json
import sys

from prometheus_client.parser import text_string_to_metric_families


def main():
    text = sys.stdin.read()
    try:
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                print(json.dumps({
                    "family": family.name,
                    "type": family.type,
                    "name": sample.name,
                    "labels": sample.labels,
                    "value": sample.value,
                }))
    except Exception as e:  # the parser's own errors are plain ValueErrors and the like
        print(f"not a Prometheus exposition: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
