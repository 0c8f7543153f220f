"""The end of a questionnaire: score the answers, say the result plainly, record it.

The result is the patient's own score in plain words ("14, in the moderate range"), never
a diagnosis; a screener says whether it is above its cut-off and that it only screens. Too
many skipped items give no total, and the patient is told why. An item rule (PHQ-9 item 9)
adds a gentle line and the booking button whatever the total (its direct safety question
was already asked, at once, by the item's ``screen:``). The record (kind ``measure``)
carries each item's answer and points, the total, the band and the flags; the application
layer stores it as one administration.
"""

from __future__ import annotations

from typing import Any

from bot.flow.engine.parts import Context, EngineParts
from bot.flow.library import CompiledFlow
from bot.flow.questionnaire import Questionnaire, Score, score_answers
from bot.flow.questionnaire.scoring import GATE
from bot.flow.questionnaire_steps import SCORE_STEP
from bot.shared.content import render
from bot.shared.conversation import Frame
from bot.shared.messages import Button, JournalRecord, OutboundMessage

__all__ = ["MEASURE_RECORD", "format_total", "measure_record_data", "score_questionnaire"]

#: The journal-record kind of one administration (stored in its own table).
MEASURE_RECORD = "measure"
#: A saved variable a scheduled offer sets: how the questionnaire reached the patient.
DELIVERED = "delivered"
#: Set in the frame once its administration is recorded, so it is recorded once.
RECORDED = "_recorded"


def format_total(questionnaire: Questionnaire, total: float) -> str:
    decimals = questionnaire.scoring.decimals
    return f"{total:.{decimals}f}" if decimals else str(round(total))


def measure_record_data(questionnaire: Questionnaire, score: Score, frame: Frame) -> dict[str, Any]:
    """What one administration stores: no free text, only answers, points and flags."""
    answers = {item.id: frame.variables.get(item.id) for item in questionnaire.items}
    return {
        "measure": score.measure,
        "version": score.version,
        "answers": answers,
        "item_scores": score.item_scores,
        "gate": frame.variables.get(GATE) if questionnaire.gate is not None else None,
        "total": score.total,
        "band": score.band,
        "positive": score.positive,
        "flags": list(score.flags),
        "missing": list(score.missing),
        "delivered": str(frame.variables.get(DELIVERED) or "asked"),
    }


def score_questionnaire(
    parts: EngineParts, ctx: Context, compiled: CompiledFlow, frame: Frame
) -> None:
    """Called as the questionnaire's check step (after an item rule asked the direct
    question) or its score step is entered: the answers are recorded at the first of the
    two, the result is said at the score step.

    Recording at the check step matters: a PHQ-9 whose item 9 is above 0 reaches it in
    the same turn as the direct question, so its flag is stored (and the clinicians'
    alert raised) even when the patient never taps "See my result" or stops after a
    "yes" to the question."""
    questionnaire = compiled.flow.questionnaire
    assert questionnaire is not None
    score = score_answers(questionnaire, frame.variables)
    if not frame.variables.get(RECORDED):
        data = measure_record_data(questionnaire, score, frame)
        ctx.turn.records.append(JournalRecord(MEASURE_RECORD, compiled.id, compiled.version, data))
        frame.variables[RECORDED] = True
    if frame.step != SCORE_STEP:
        return
    values = {
        "measure": questionnaire.name,
        "total": format_total(questionnaire, score.total) if score.total is not None else "",
        "band": score.band or "",
        "highest": format_total(questionnaire, questionnaire.highest_total()),
        "missing": len(score.missing),
    }
    parts._send(ctx, render(parts._text_of(_result_key(score)), values))
    flagged = [
        item.rule
        for item in questionnaire.items
        if item.rule is not None and item.rule.flag in score.flags
    ]
    if flagged:
        buttons: tuple[tuple[Button, ...], ...] = ()
        if any(rule.booking for rule in flagged) and parts.booking_url:
            book = Button(parts._text_of("system.book_button"), url=parts.booking_url)
            buttons = ((book,),)
        ctx.turn.messages.append(
            OutboundMessage(render(parts._text_of("scores.item_flag"), values), buttons=buttons)
        )


def _result_key(score: Score) -> str:
    if score.gated_out:
        return "scores.screen_gated_out"
    if score.positive is not None:
        return "scores.screen_positive" if score.positive else "scores.screen_negative"
    if score.total is None:
        return "scores.not_scored"
    return "scores.result_band" if score.band else "scores.result_number"
