import pytest

from bot.safety.normalize import normalize


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", ""),
        ("I Want To DIE", "i want to die"),
        ("k i l l  m y s e l f", "kill myself"),
        ("k.i.l.l", "kill"),
        ("s-u-i-c-i-d-e", "suicide"),
        ("m y  h u s b a n d  h i t s  m e", "my husband hits me"),
        ("diiiie", "die"),
        ("k1ll mys3lf", "kill myself"),
        ("su1c1de", "suicide"),
        ("ki11 myself", "kill myself"),
        ("$uicidal", "suicidal"),
        ("w@nt to d!e", "want to die"),
        ("ki\u200bll my\u200dself\ufeff", "kill myself"),
        ("kill\u00admyself", "killmyself"),
        ("Quiero suicídarme", "quiero suicidarme"),
        ("QUIERO SUICIDARME", "quiero suicidarme"),
        ("ＫＩＬＬ ｍｙｓｅｌｆ", "kill myself"),
        ("I can't go on", "i cant go on"),
        ("I can\u2019t go on", "i cant go on"),
        ("😭😭 want to die 😭", "want to die"),
        ("kill myself!!!", "kill myself"),
        ("  lots   of\tspace\n", "lots of space"),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("call 988", "call 988"),
        ("mood 10/10", "mood 10 10"),
        ("took 10mg at 3am", "took 10mg at 3am"),
        ("it is 5:30", "it is 5 30"),
        ("1-800-222-1222", "1 800 222 1222"),
    ],
)
def test_numbers_stay_numbers(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    "sentence",
    ["I am a teacher", "it is a big day", "we go to a b movie", "I had a good day"],
)
def test_ordinary_words_are_not_glued(sentence: str) -> None:
    assert normalize(sentence).split() == sentence.lower().split()


def test_long_text() -> None:
    text = "word " * 1000
    assert normalize(text) == ("word " * 1000).strip()


def test_a_reflexive_pronoun_written_as_two_words_is_one_word() -> None:
    # "i want to kill my self" mid-exercise must read as "kill myself": the example.
    assert normalize("i want to kill my self") == "i want to kill myself"
    assert normalize("he could hurt him self") == "he could hurt himself"
    assert normalize("they hurt them selves") == "they hurt themselves"
    # ...but not where "self" begins a word of its own: no "hurt myself" in these.
    assert normalize("that hurt my self-esteem") == "that hurt my self esteem"
    assert normalize("my self harm urges") == "my self harm urges"
    assert normalize("selfish of me") == "selfish of me"
