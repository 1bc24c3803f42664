"""sllurp's decode of the same RO_ACCESS_REPORT bytes, for `depot bench llrp`.

Usage: python sllurp_decode.py REPORT.bin SECONDS
Decodes the message with sllurp's LLRPMessage (which yields one dict per TagReportData,
its equivalent of our TagRead) for about SECONDS on one core, and prints one JSON line:
{"tags_per_sec": ..., "iterations": ..., "tags_per_report": ..., "sllurp": VERSION}.
"""

import json
import sys
import time

from sllurp.llrp import LLRPMessage
from sllurp.version import __version__

data = open(sys.argv[1], "rb").read()
seconds = float(sys.argv[2])
tags = len(LLRPMessage(msgbytes=data).msgdict["RO_ACCESS_REPORT"]["TagReportData"])
iterations = 0
start = time.perf_counter()
while True:
    for _ in range(20):
        report = LLRPMessage(msgbytes=data).msgdict["RO_ACCESS_REPORT"]["TagReportData"]
    iterations += 20
    elapsed = time.perf_counter() - start
    if elapsed >= seconds:
        break
assert len(report) == tags
print(json.dumps(dict(tags_per_sec=iterations * tags / elapsed, iterations=iterations, tags_per_report=tags,
                      sllurp=__version__)))
