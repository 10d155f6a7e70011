#!/usr/bin/env python3
"""A recognition-ensemble rule tried on recorded runs (docs/EXPERIMENTS.md, "The recognition ensemble's weights").

Gate: use a weighted rule only when the networks' validation accuracies spread by more than z standard errors of
their difference (sqrt(2 p (1 - p) / n), n validation images), else the plain average. Every run since the
recognition-ensemble change records each rule's weights and test accuracy, so the gate needs no training:
its test accuracy on a run is the recorded one of the rule it picks.

    python3 scripts/ensemble-gate.py docs/experiments/*.jsonl
"""
import json
import math
import sys

runs = []
for path in sys.argv[1:]:
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            final = r["final"]
            if "ensembles" in final:
                accs = [net["valAcc"] for net in final["networks"]]
                runs.append((r["sizes"]["validation"], accs, final["ensembles"]))

print(f"{len(runs)} runs with every rule recorded")
print("| z | rule | runs switched | mean gain over the plain average (pp) | better / worse |")
print("|---|---|---|---|---|")
for z in [0, 1, 1.5, 2, 3]:
    for rule in ["standard-error", "covariance", "softmax"]:
        gains, switched = [], 0
        for n, accs, ens in runs:
            p = sum(accs) / len(accs)
            se = math.sqrt(max(p * (1 - p), 1e-6) * 2 / n)
            use = rule if max(accs) - min(accs) > z * se else "equal"
            switched += use != "equal"
            gains.append(ens[use]["testAcc"] - ens["equal"]["testAcc"])
        mean = 100 * sum(gains) / len(gains)
        better, worse = sum(g > 0 for g in gains), sum(g < 0 for g in gains)
        print(f"| {z} | {rule} | {switched} | {mean:+.3f} | {better} / {worse} |")
