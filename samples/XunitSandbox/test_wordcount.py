"""The sample repository's own tests (python3 -m unittest)."""
import unittest

from wordcount import count_words


class CountWordsTests(unittest.TestCase):
    def test_counts_words_separated_by_any_whitespace(self):
        self.assertEqual(count_words("one two\tthree\nfour"), 4)

    def test_an_empty_text_has_no_words(self):
        self.assertEqual(count_words("   \n"), 0)


if __name__ == "__main__":
    unittest.main()
