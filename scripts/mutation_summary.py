#!/usr/bin/env python3
"""Scores and survivors from PIT's XML reports, as the Markdown of docs/mutation.md.

    python3 scripts/mutation_summary.py */target/pit-reports*/mutations.xml

Prints one table row per package (Kernels and Shape on rows of their own), then every mutant that
survived or was not covered in Op, Tape, Variable, GradCheck and Jacobian, for docs/mutation.md to
say why each makes no difference. Killed counts TIMED_OUT, MEMORY_ERROR and RUN_ERROR: the tests
noticed the mutant. The score is over covered mutants.
"""
import collections
import sys
import xml.etree.ElementTree as ET

EXPLAINED = ("Op", "Tape", "Variable", "GradCheck", "Jacobian")
SEPARATE = ("dev.jgrad.tensor.Kernels", "dev.jgrad.tensor.Shape")
DETECTED = ("KILLED", "TIMED_OUT", "MEMORY_ERROR", "RUN_ERROR")

rows = collections.defaultdict(collections.Counter)
survivors = []
for path in sys.argv[1:]:
    for m in ET.parse(path).getroot().iter("mutation"):
        status = m.get("status")
        cls = m.findtext("mutatedClass")
        top = cls.split("$")[0]
        row = top if top in SEPARATE else top.rsplit(".", 1)[0]
        rows[row][status] += 1
        if status in ("SURVIVED", "NO_COVERAGE") and top.rsplit(".", 1)[1] in EXPLAINED:
            where = f"{cls.rsplit('.', 1)[1]}.{m.findtext('mutatedMethod')}:{m.findtext('lineNumber')}"
            survivors.append((where, m.findtext("description"), "no coverage" if status == "NO_COVERAGE" else "survived"))

print("| package | mutants | killed | survived | no coverage | killed of covered |")
print("|---|---:|---:|---:|---:|---:|")
for row in sorted(rows):
    c = rows[row]
    total = sum(c.values())
    killed = sum(c[s] for s in DETECTED)
    covered = total - c["NO_COVERAGE"]
    print(f"| `{row}` | {total} | {killed} | {c['SURVIVED']} | {c['NO_COVERAGE']} | {100 * killed / max(covered, 1):.1f}% |")
print()
for where, description, status in sorted(survivors):
    print(f"- `{where}` {description} ({status}):")
