"""The questionnaires as a patient meets them: the commands, the buttons, the result in
plain words, item 9 asking the direct safety question at once, skips told kindly."""

from __future__ import annotations

import pytest

from bot.flow.engine import Engine
from bot.shared.conversation import Asked
from tests.flow.test_engine import Chat, said


@pytest.fixture
def chat(engine: Engine) -> Chat:
    return Chat(engine)


def _measure(turn_records: list) -> dict:
    (record,) = [r for r in turn_records if r.kind == "measure"]
    return record.data


def test_phq9_runs_to_a_plain_words_result(chat: Chat) -> None:
    first = said(chat.send("/phq9"))
    assert "Over the last 2 weeks, how often have you been bothered" in first
    assert "1/9 Little interest or pleasure in doing things" in first
    assert set(chat.buttons) >= {"Not at all", "Several days", "More than half the days"}
    answers = ["More than half the days"] * 5 + ["Several days"] * 3
    for label in answers:
        chat.press(label)
    turn = chat.press("Not at all")  # item 9
    text = said(turn)
    assert "Your PHQ-9 score is 13, in the moderate range" in text
    assert "not a diagnosis" in text
    data = _measure(turn.records)
    assert data["total"] == 13 and data["band"] == "moderate" and data["flags"] == []
    assert data["answers"]["phq9_1"] == "more_than_half" and data["item_scores"]["phq9_9"] == 0
    assert chat.state.frames == []


def test_item_9_above_0_asks_the_direct_question_at_once_then_offers_booking(
    chat: Chat,
) -> None:
    chat.send("/phq9")
    for _ in range(8):
        chat.press("Not at all")
    turn = chat.press("Several days")
    assert isinstance(chat.state.hold, Asked) and chat.state.hold.category == "suicide"
    assert "score" not in said(turn)  # the question comes first, before any result
    # Recorded at once, flag and all, so leaving now loses neither (the result waits).
    assert _measure(turn.records)["flags"] == ["thoughts_of_death_or_self_harm"]
    back = chat.press("No")
    assert "Your result is ready" in said(back)
    after = chat.press("See my result")
    text = said(after)
    assert "Your PHQ-9 score is 1, in the minimal range" in text
    assert "thoughts of being better off dead" in text
    assert any(b.url for m in after.messages for row in m.buttons for b in row)
    assert [r.kind for r in after.records] == []  # recorded once, with the question


def test_two_skipped_items_give_no_score_and_say_so(chat: Chat) -> None:
    chat.send("/gad7")
    chat.press("Skip this one")
    chat.press("Skip this one")
    for _ in range(4):
        chat.press("Nearly every day")
    turn = chat.press("Nearly every day")
    text = said(turn)
    assert "2 questions were skipped, so there is no GAD-7 score" in text
    data = _measure(turn.records)
    assert data["total"] is None and data["missing"] == ["gad7_1", "gad7_2"]


def test_peg_and_craving_use_scales(chat: Chat) -> None:
    chat.send("/peg")
    chat.press("7")
    chat.press("5")
    assert "Your PEG score is 5.7 out of 10.0" in said(chat.press("5"))
    chat.send("/craving")
    assert "Your Craving (24 h) score is 4 out of 10" in said(chat.press("4"))


def test_ptsd_gate_no_ends_it_and_four_yes_is_positive(chat: Chat) -> None:
    chat.send("/ptsd")
    turn = chat.press("No")
    assert "That's all for this one" in said(turn)
    assert _measure(turn.records)["gate"] == "no"
    chat.send("/ptsd")
    chat.press("Yes")
    for label in ["Yes", "Yes", "No", "Yes"]:
        chat.press(label)
    turn = chat.press("Yes")
    assert "(4 of 5) are above the point" in said(turn)
    assert _measure(turn.records)["positive"] is True


def test_the_menu_opens_the_questionnaires(chat: Chat) -> None:
    chat.send("/menu")
    chat.press("Questionnaires and my progress")
    assert "Mood (PHQ-9)" in chat.buttons
    assert "1/7 Feeling nervous" in said(chat.press("Anxiety (GAD-7)"))
