#!/bin/sh
# The sample repository's build and tests, as its own CI would run them: byte-compile the code, then run the unit
# tests. Needs only python3 (isb/debian12 has it). Writes __pycache__ folders next to the code.
set -eu
cd "$(dirname "$0")"
python3 -m compileall -q wordcount.py test_wordcount.py
python3 -m unittest -v
