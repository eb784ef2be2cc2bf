# The "project" the sample's tests run inside the sandbox: counts the words of the files it is given.
import sys

for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        print(f"{path}: {len(f.read().split())} words")
