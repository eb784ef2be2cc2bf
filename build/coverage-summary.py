#!/usr/bin/env python3
"""Merges the cobertura files of a test run into one line of line coverage per package.

Usage: build/coverage-summary.py RESULTS_DIR [MINIMUM_PERCENT]

Every test project writes its own cobertura file, and the CLI's tests run SDK code too, so a
line counts as covered when any file says it was hit (keyed by source file and line number).
A package is a folder of src/ with a project in it; its lines are those of its source files.
Prints "coverage: IncusTestKit NN.N% lines, ..." and exits 1 when a package with code is below
the minimum (80 unless given), or when the run left no coverage at all.
"""
import glob
import os
import sys
import xml.etree.ElementTree as ET

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
results = sys.argv[1] if len(sys.argv) > 1 else sys.exit(__doc__)
minimum = float(sys.argv[2]) if len(sys.argv) > 2 else 80.0

packages = sorted(os.path.basename(os.path.dirname(p)) for p in glob.glob(os.path.join(root, "src", "*", "*.csproj")))
src = os.path.join(root, "src")

# (source file relative to src/, line) -> the most hits any test project saw.
hits = {}
files = glob.glob(os.path.join(results, "**", "coverage.cobertura.xml"), recursive=True)
for path in files:
    report = ET.parse(path).getroot()
    sources = [s.text or "" for s in report.iter("source")]
    for cls in report.iter("class"):
        name = cls.get("filename", "")
        # coverlet writes file names relative to one of the <source> folders.
        candidates = [os.path.join(s, name) for s in sources] + [name]
        full = next((c for c in candidates if os.path.isfile(c)), candidates[0])
        relative = os.path.relpath(os.path.realpath(full), os.path.realpath(src))
        # Generated sources live under obj/ (also excluded when collecting).
        if relative.startswith("..") or "/obj/" in f"/{relative}":
            continue
        for line in cls.findall("lines/line"):
            key = (relative, int(line.get("number")))
            hits[key] = max(hits.get(key, 0), int(line.get("hits", "0")))

if not files:
    print(f"coverage: no coverage files found in {results}")
    sys.exit(1)

parts, low = [], []
for package in packages:
    lines = [h for (file, _), h in hits.items() if file.split(os.sep, 1)[0] == package]
    if not lines:
        parts.append(f"{package} no code yet")
        continue
    percent = 100.0 * sum(1 for h in lines if h > 0) / len(lines)
    parts.append(f"{package} {percent:.1f}% lines")
    if round(percent, 1) < minimum:
        low.append(package)

print("coverage: " + ", ".join(parts))
if low:
    print(f"coverage: below {minimum:g}% of lines: {', '.join(low)}")
    sys.exit(1)
