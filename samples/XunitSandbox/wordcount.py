"""The sample repository's own code: counts the words of the files it is given."""
import sys


def count_words(text):
    """The number of whitespace-separated words in text."""
    return len(text.split())


def main(paths):
    for path in paths:
        with open(path, encoding="utf-8") as f:
            print(f"{path}: {count_words(f.read())} words")


if __name__ == "__main__":
    main(sys.argv[1:])
