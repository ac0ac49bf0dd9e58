#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Reads Prometheus text format on stdin (OpenMetrics with --openmetrics),
parsed by Debian's python3-prometheus-client (the parsers Prometheus's own
Python client uses), and prints its families as JSON for t/admin/metrics.t.
A text the parser refuses exits 1 with its error."""
import json
import math
import sys

from prometheus_client.openmetrics import parser as openmetrics
from prometheus_client import parser as prometheus


def number(v):
    return None if math.isnan(v) else ("+Inf" if v == math.inf else v)


try:
    families = [
        {
            "name": f.name,
            "type": f.type,
            "help": f.documentation,
            "samples": [
                {"name": s.name, "labels": s.labels, "value": number(s.value)}
                for s in f.samples
            ],
        }
        for f in (openmetrics if sys.argv[1:] == ["--openmetrics"] else prometheus)
        .text_string_to_metric_families(sys.stdin.read())
    ]
except Exception as e:  # the parser's own errors are ValueError, others too
    print("parse error: %r" % (e,), file=sys.stderr)
    sys.exit(1)
json.dump(families, sys.stdout)
