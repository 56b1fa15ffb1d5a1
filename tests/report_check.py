#!/usr/bin/env python3
"""report_check.py OUT_DIR - the report's numbers over seeds, recomputed from
the run files of a finished experiment (tests/t_experiment.sh):

- each model's mean ± standard deviation is that of its rows in results.csv;
- each model's summed confusion matrix is the sum of its runs' eval.json
  matrices, and report.md names its most confused pairs with those counts;
- each published accuracy's inside/outside verdict follows from the range of
  the model's accuracies in results.csv;
- OUT_DIR/../index.md has the study's row, linking to its report, with the
  same decided finding as report.md.
Prints every mismatch and exits 1 if there is one."""
import csv
import json
import os
import sys

out = sys.argv[1]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


manifest = json.load(open(os.path.join(out, "experiment.json")))
report = open(os.path.join(out, "report.md"), encoding="utf-8").read()
rows = list(csv.DictReader(open(os.path.join(out, "results.csv"), encoding="utf-8")))

# Each model's mean ± sample standard deviation over its seeds in results.csv.
for model in manifest["models"]:
    accs = [float(r["test_accuracy"]) for r in rows
            if r["model"] == model["name"] and r["status"] == "ok"]
    mean = sum(accs) / len(accs)
    std = (sum((a - mean) ** 2 for a in accs) / (len(accs) - 1)) ** 0.5 if len(accs) > 1 else 0
    cell = "| %.2f%% ± %.2f |" % (100 * mean, 100 * std)
    line = next((l for l in report.splitlines() if l.startswith("| %s | %s | " % (
        model["label"], model["name"]))), "")
    check(cell in line.replace("**", ""), "results row %r lacks %s" % (line, cell))

# Summed confusion matrices and the most confused pairs.
for model in manifest["models"]:
    name = model["name"]
    runs = [r for r in manifest["runs"] if r["model"] == name and r["status"] == "ok"]
    total, classes = None, None
    for run in runs:
        ev = json.load(open(os.path.join(out, run["dir"], "eval.json")))
        m = ev["confusion"]
        classes = ev["class_names"]
        if total is None:
            total = [[0] * len(m) for _ in m]
        for t, row in enumerate(m):
            for p, v in enumerate(row):
                total[t][p] += v
    k = len(total)
    pairs = [(total[a][b] + total[b][a], a, b) for a in range(k) for b in range(a + 1, k)
             if total[a][b] + total[b][a] > 0]
    pairs.sort(key=lambda x: (-x[0], x[1], x[2]))      # the class order breaks ties
    n = sum(map(sum, total))
    text = "Most confused in **%s** (%d seed%s, %d test predictions): " % (
        name, len(runs), "" if len(runs) == 1 else "s", n)
    text += "; ".join("%s ↔ %s %d times (%s as %s %d, %s as %s %d)" % (
        classes[a], classes[b], c, classes[a], classes[b], total[a][b], classes[b],
        classes[a], total[b][a]) for c, a, b in pairs[:3]) + ".\n"
    check(text in report, "report.md lacks: " + text)

# Published numbers against the range of results.csv.
for entry in manifest["published"]["models"]:
    accs = [float(r["test_accuracy"]) for r in rows
            if r["model"] == entry["model"] and r["status"] == "ok"]
    pub = entry["test_accuracy"]
    lo, hi = min(accs), max(accs)
    verdict = "yes" if lo - 1e-9 <= pub <= hi + 1e-9 else (
        "no, above" if pub > hi else "no, below")
    row = "| %s | %.2f%% | " % (entry["model"], 100 * pub)
    line = next((l for l in report.splitlines() if l.startswith(row)), "")
    check(line.endswith("| %.2f%% to %.2f%% | %+.2f | %s |" % (
        100 * lo, 100 * hi, 100 * (pub - sum(accs) / len(accs)), verdict)),
        "published row for %s: %r, expected %s from %s" % (entry["model"], line, verdict, accs))

# The index row: the report's link and its decided finding.
finding = next(l for l in report.splitlines() if l.startswith("In one sentence: "))
finding = finding[len("In one sentence: "):]
index = open(os.path.join(out, "..", "index.md"), encoding="utf-8").read()
study = os.path.basename(os.path.normpath(out))
row = "| [%s](%s/report.md) | `%s` |" % (manifest["title"], study, manifest["source"])
line = next((l for l in index.splitlines() if l.startswith(row)), "")
check(line.endswith("| %s |" % finding), "index row %r lacks the finding %r" % (line, finding))

for f in failures:
    print("FAIL:", f)
sys.exit(1 if failures else 0)
