"""Validated questionnaires as flows: the ``questionnaire:`` form, its steps, its scoring."""

from bot.flow.questionnaire.schema import Band, Item, Questionnaire
from bot.flow.questionnaire.scoring import Score, band_of, score_answers

__all__ = ["Band", "Item", "Questionnaire", "Score", "band_of", "score_answers"]
