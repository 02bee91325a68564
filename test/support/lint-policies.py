"""Runs parliament (duo-labs' IAM policy linter) over policies given on stdin as
[{"name": ..., "policy": {...}}] and prints
[{"name": ..., "findings": [{"issue": ..., "severity": ..., "detail": ...}]}] as JSON."""
import json
import sys

from parliament import analyze_policy_string

out = []
for item in json.load(sys.stdin):
    policy = analyze_policy_string(
        json.dumps(item["policy"]),
        include_community_auditors=False,
    )
    out.append({
        "name": item["name"],
        "findings": [
            {"issue": f.issue, "severity": f.severity, "detail": str(f.detail), "location": str(f.location)}
            for f in policy.findings
        ],
    })
json.dump(out, sys.stdout)
