"""The search words of a title: what a title is found by, and what a query asks for."""

from __future__ import annotations

from publisher.domain.text import MAX_TITLE_WORDS, MAX_WORD_LENGTH, title_words


def test_given_mixed_case_accents_and_punctuation_then_folded_distinct_words_in_order():
    assert title_words("Café au LAIT, café! (2026)") == ["cafe", "au", "lait", "2026"]


def test_given_underscores_and_apostrophes_then_they_split_words():
    assert title_words("snake_case isn't") == ["snake", "case", "isn", "t"]


def test_given_no_letters_or_digits_then_no_words():
    assert title_words("!!! --- ...") == []


def test_given_non_latin_scripts_then_their_words_count():
    assert title_words("Straße ПРИВЕТ мир") == ["strasse", "привет", "мир"]


def test_given_a_long_title_then_at_most_the_first_words_each_bounded():
    words = title_words(" ".join(f"w{number}" for number in range(100)) + " " + "x" * 500)

    assert words == [f"w{number}" for number in range(MAX_TITLE_WORDS)]
    assert all(len(word) <= MAX_WORD_LENGTH for word in title_words("y" * 500))
