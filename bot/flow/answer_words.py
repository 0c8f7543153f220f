"""The words a typed answer is read by: numbers in words, and what means yes or no.

English and Spanish, lower case, as ``bot.flow.answers`` compares them after cleaning. A
reply in neither list is asked again, never guessed.
"""

from __future__ import annotations

__all__ = ["NO_PHRASES", "NO_WORDS", "WORD_NUMBERS", "YES_PHRASES", "YES_WORDS"]

WORD_NUMBERS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "cero": 0,
    "uno": 1,
    "dos": 2,
    "tres": 3,
    "cuatro": 4,
    "cinco": 5,
    "seis": 6,
    "siete": 7,
    "ocho": 8,
    "nueve": 9,
    "diez": 10,
}
YES_WORDS = {
    "yes",
    "y",
    "yeah",
    "yep",
    "yup",
    "sure",
    "ok",
    "okay",
    "si",
    "sí",
    "true",
    "of course",
}
NO_WORDS = {"no", "n", "nope", "nah", "not really", "false"}
#: Whole replies to a flow's yes/no question that mean yes or no although they are not
#: one word ("I am", "I'm not"). Only for ``ask: yes_no``: the direct question about
#: suicide reads its answers on its own terms (answer_to_direct_question), where an
#: unclear reply gets help. Anything in neither list is asked again, never guessed.
YES_PHRASES = {
    "i am",
    "im",
    "yes i am",
    "yeah i am",
    "yes im",
    "yes please",
    "yes thanks",
    "yes thank you",
    "i do",
    "yes i do",
    "i will",
    "yes i will",
    "definitely",
    "absolutely",
    "sure thing",
    "yeah sure",
    "ok sure",
    "sounds good",
    "si gracias",
    "sí gracias",
    "claro",
    "claro que si",
    "claro que sí",
}
NO_PHRASES = {
    "i am not",
    "im not",
    "no im not",
    "no i am not",
    "no not really",
    "nope not really",
    "nah not really",
    "no thanks",
    "no thank you",
    "not now",
    "not today",
    "not at all",
    "not yet",
    "no way",
    "i dont",
    "i do not",
    "no i dont",
    "no i do not",
    "i wont",
    "i will not",
    "no i wont",
    "rather not",
    "id rather not",
    "i would rather not",
    "please dont",
    "no please dont",
    "no gracias",
    "ahora no",
    "todavía no",
    "todavia no",
}
