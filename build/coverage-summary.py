#!/usr/bin/env python3
"""Merges the cobertura files of a test run into one line of line coverage per package.

Usage: build/coverage-summary.py RESULTS_DIR [MINIMUM_PERCENT]

Every test project writes its own cobertura file, and the CLI's tests run SDK code too, so a
line counts as covered when any file says it was hit (keyed by source file and line number).
A package is a folder of src/ with a packable project in it; its lines are those of its source files.
Prints "coverage: IncusTestKit NN.N% lines, ..." and exits 1 when a package with code is below
the minimum (80 unless given), when a package with source files was not measured at all, or
when the run left no coverage. A package without source files says "no code yet"; one that was
measured but has no executable line (only declarations, auto-properties) "no lines to measure".
"""
import glob
import os
import re
import sys
import xml.etree.ElementTree as ET

if len(sys.argv) < 2:
    sys.exit(__doc__)
results = sys.argv[1]
minimum = float(sys.argv[2]) if len(sys.argv) > 2 else 80.0
src = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))


def assembly_of(project):
    match = re.search(r"<AssemblyName>([^<]+)</AssemblyName>", open(project, encoding="utf-8").read())
    return match.group(1).strip() if match else os.path.splitext(os.path.basename(project))[0]


def has_sources(package):
    return any(not {"obj", "bin"} & set(os.path.relpath(f, src).split(os.sep))
               for f in glob.glob(os.path.join(src, package, "**", "*.cs"), recursive=True))


def is_packable(project):
    return not re.search(r"<IsPackable>\s*false\s*</IsPackable>", open(project, encoding="utf-8").read())


# package folder -> assembly name (the CLI's is dotnet-isb). A project that is no package is left out: the crash
# watcher is a Main that calls the SDK's CrashWatcher, and runs only as a process of its own.
packages = dict(sorted((os.path.basename(os.path.dirname(p)), assembly_of(p))
                       for p in glob.glob(os.path.join(src, "*", "*.csproj")) if is_packable(p)))

# (source file relative to src/, line) -> the most hits any test project saw.
hits = {}
measured = set()
files = glob.glob(os.path.join(results, "**", "coverage.cobertura.xml"), recursive=True)
for path in files:
    report = ET.parse(path).getroot()
    measured.update(p.get("name") for p in report.iter("package"))
    sources = [s.text or "" for s in report.iter("source")]
    for cls in report.iter("class"):
        name = cls.get("filename", "")
        # coverlet writes file names relative to one of the <source> folders.
        candidates = [os.path.join(s, name) for s in sources] + [name]
        full = next((c for c in candidates if os.path.isfile(c)), candidates[0])
        relative = os.path.relpath(os.path.realpath(full), src)
        # Generated sources live under obj/ (also excluded when collecting).
        if relative.startswith("..") or "obj" in relative.split(os.sep):
            continue
        for line in cls.findall("lines/line"):
            key = (relative, int(line.get("number")))
            hits[key] = max(hits.get(key, 0), int(line.get("hits", "0")))

if not files:
    print(f"coverage: no coverage files found in {results}")
    sys.exit(1)

parts, failing = [], []
for package, assembly in packages.items():
    lines = [h for (file, _), h in hits.items() if file.split(os.sep, 1)[0] == package]
    if lines:
        percent = 100.0 * sum(1 for h in lines if h > 0) / len(lines)
        parts.append(f"{package} {percent:.1f}% lines")
        if round(percent, 1) < minimum:
            failing.append(f"{package} is below {minimum:g}% of lines")
    elif not has_sources(package):
        parts.append(f"{package} no code yet")
    elif assembly in measured:
        parts.append(f"{package} no lines to measure")
    else:
        parts.append(f"{package} not measured")
        failing.append(f"{package} was not measured: no test run instrumented {assembly}")

print("coverage: " + ", ".join(parts))
for failure in failing:
    print(f"coverage: {failure}")
sys.exit(1 if failing else 0)
