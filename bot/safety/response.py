"""The crisis answer: a short calm message with the right resources, then a way on.

Every text comes from ``content/crisis.yaml`` and is escaped for Telegram's HTML mode here,
so a clinician's ``&`` or ``<`` can never break the message that matters most. Phone
numbers stay in the text (Telegram makes them tappable); only http(s) links become buttons.
"""

from __future__ import annotations

import html
import re
from functools import partial

from bot.safety.config import CrisisConfig, Resource
from bot.shared import tokens
from bot.shared.messages import Button, OutboundMessage

__all__ = [
    "after_crisis_message",
    "reoffer_messages",
    "TOKEN_MENU",
    "TOKEN_RESUME",
    "TOKEN_SOS",
    "TOKEN_STOP",
    "PLAN_FIRST",
    "PLAN_FLOW",
    "safety_plan_message",
    "shows_plan",
    "asked_question",
    "crisis_messages",
    "unsure_question",
]

#: Categories whose answer shows the patient's own safety plan first, as /sos does.
PLAN_FIRST = frozenset({"suicide", "self_harm"})
#: The flow the plan's button opens.
PLAN_FLOW = "safety_plan"

TOKEN_RESUME = tokens.encode(tokens.SystemButton.RESUME)
TOKEN_SOS = tokens.encode(tokens.SystemButton.SOS)
TOKEN_STOP = tokens.encode(tokens.SystemButton.STOP)
TOKEN_MENU = tokens.encode(tokens.SystemButton.MENU)

#: The longest crisis message, in characters (tags included): a phone shows it whole.
MAX_MESSAGE_CHARS = 600
#: An intro this short stays whole before the help lines it introduces.
SHORT_INTRO_CHARS = 200

_esc = partial(html.escape, quote=False)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_ALLOWED_TAG = re.compile(r"</?(?:b|i)>")
_ENTITY = re.compile(r"&(?:[a-zA-Z]+|#[0-9]+|#x[0-9a-fA-F]+);")
_SAFE_PIECE = re.compile(r"(</?(?:b|i)>|&(?:[a-zA-Z]+|#[0-9]+|#x[0-9a-fA-F]+);)")


def crisis_messages(
    category: str | None,
    cfg: CrisisConfig,
    booking_url: str | None,
    safety_plan_html: str | None = None,
    in_exercise: bool = False,
    unclear: bool = False,
) -> list[OutboundMessage]:
    """The messages to send for ``category`` (None: the ``/sos`` command, every resource).
    ``unclear``: for a direct question that got no clear answer, led by words that do not
    thank the patient for telling (``messages.unclear_answer``).

    ``safety_plan_html`` is the patient's plan, already in Telegram HTML; it is shown first
    for ``/sos``. Anything in it other than ``<b>``/``<i>`` tags and entities is escaped,
    and unbalanced tags are dropped, so a broken plan can never stop the message sending.
    """
    if category is not None and cfg.category(category).ask is not None:
        return [asked_question(cfg, category)]
    if category is None:
        intro = cfg.messages.sos_intro
        resources = list(cfg.resources)
    else:
        cat = cfg.category(category)
        intro = (cfg.messages.unclear_answer if unclear else "") or cat.intro
        resources = [cfg.resource(rid) for rid in cat.resources]

    messages: list[OutboundMessage] = []
    if shows_plan(category) and safety_plan_html and safety_plan_html.strip():
        messages.append(safety_plan_message(cfg, safety_plan_html))

    booking = (
        Button(cfg.buttons.book, url=booking_url) if booking_url and _is_web(booking_url) else None
    )
    messages += help_line_messages(
        _esc(intro), resources, f"<i>{_esc(cfg.messages.bot_note)}</i>", booking
    )

    b = cfg.buttons
    choices: tuple[tuple[Button, ...], ...]
    if in_exercise:
        text = cfg.messages.next_step_exercise
        choices = (
            (Button(b.resume, token=TOKEN_RESUME),),
            (Button(b.sos, token=TOKEN_SOS),),
            (Button(b.stop, token=TOKEN_STOP),),
        )
    else:
        text = cfg.messages.next_step
        choices = ((Button(b.sos, token=TOKEN_SOS),), (Button(b.menu, token=TOKEN_MENU),))
    messages.append(OutboundMessage(_esc(text), buttons=choices, kind="crisis"))
    return messages


def help_line_messages(
    intro: str, resources: list[Resource], note: str, booking: Button | None
) -> list[OutboundMessage]:
    """The intro, the help lines and the bot's note, in messages a phone shows whole.

    One message when it fits :data:`MAX_MESSAGE_CHARS`. Otherwise the help lines come
    first, led by as much of the intro as fits beside them ("Call 911 now"), then the rest
    of the intro and the note: every word is kept, in the clinicians' order within each
    part. A help line's link button goes with the message that holds the line.
    """
    lines = [_resource_line(r) for r in resources]
    links = [
        (Button(r.url_label or r.name, url=r.url),) if _is_web(r.url) else () for r in resources
    ]
    whole = "\n".join([intro, "", *lines, "", note])
    if len(whole) <= MAX_MESSAGE_CHARS:
        rows = [row for row in links if row]
        if booking is not None:
            rows.append((booking,))
        return [OutboundMessage(whole, buttons=tuple(rows), kind="crisis")]
    sentences = _SENTENCE_END.split(intro)
    lead_count = len(sentences) if len(intro) <= SHORT_INTRO_CHARS else 1
    block = "\n".join(lines)
    while lead_count < len(sentences) and (
        len(" ".join(sentences[: lead_count + 1])) + 2 + len(block) <= MAX_MESSAGE_CHARS
    ):
        lead_count += 1
    lead, rest = " ".join(sentences[:lead_count]), sentences[lead_count:]
    out: list[OutboundMessage] = []
    text, rows = lead + "\n", []
    for line, row in zip(lines, links, strict=True):
        if len(text) + 1 + len(line) > MAX_MESSAGE_CHARS:
            out.append(OutboundMessage(text.rstrip("\n"), buttons=tuple(rows), kind="crisis"))
            text, rows = "", []
        text += "\n" + line if text else line
        if row:
            rows.append(row)
    if booking is not None:
        rows.append((booking,))
    out.append(OutboundMessage(text, buttons=tuple(rows), kind="crisis"))
    tail: list[str] = []
    for sentence in rest:
        if tail and len(tail[-1]) + 1 + len(sentence) <= MAX_MESSAGE_CHARS:
            tail[-1] += " " + sentence
        else:
            tail.append(sentence)
    if tail and len(tail[-1]) + 2 + len(note) <= MAX_MESSAGE_CHARS:
        tail[-1] += "\n\n" + note
    elif not tail and len(out[-1].text) + 2 + len(note) <= MAX_MESSAGE_CHARS:
        last = out.pop()
        tail_message = OutboundMessage(f"{last.text}\n\n{note}", last.buttons, kind="crisis")
        return [*out, tail_message]
    else:
        tail.append(note)
    return out + [OutboundMessage(t, kind="crisis") for t in tail]


def reoffer_messages(
    category: str, cfg: CrisisConfig, booking_url: str | None
) -> list[OutboundMessage]:
    """The help lines of ``category`` again, led by ``question_expired``: for a direct
    question that went unanswered. No way-on buttons (the patient's message comes next)."""
    resources = [cfg.resource(rid) for rid in cfg.category(category).resources]
    booking = (
        Button(cfg.buttons.book, url=booking_url) if booking_url and _is_web(booking_url) else None
    )
    intro = cfg.messages.question_expired or cfg.messages.sos_intro
    note = f"<i>{_esc(cfg.messages.bot_note)}</i>"
    return help_line_messages(_esc(intro), resources or list(cfg.resources), note, booking)


def after_crisis_message(cfg: CrisisConfig) -> OutboundMessage | None:
    """The words for a typed message while an exercise waits after a crisis answer, with
    the way-on buttons; None when ``cfg`` (a language) has none."""
    if not cfg.messages.after_crisis:
        return None
    b = cfg.buttons
    choices = (
        (Button(b.resume, token=TOKEN_RESUME),),
        (Button(b.sos, token=TOKEN_SOS),),
        (Button(b.stop, token=TOKEN_STOP),),
    )
    return OutboundMessage(_esc(cfg.messages.after_crisis), buttons=choices)


def shows_plan(category: str | None) -> bool:
    """Whether the answer for ``category`` shows the patient's own safety plan first."""
    return category is None or category in PLAN_FIRST


def safety_plan_message(cfg: CrisisConfig, safety_plan_html: str) -> OutboundMessage:
    """The patient's own safety plan (Telegram HTML, made safe), with a button to open it."""
    heading = f"<b>{_esc(cfg.messages.safety_plan_heading)}</b>"
    buttons: tuple[tuple[Button, ...], ...] = ()
    if cfg.buttons.plan:
        buttons = ((Button(cfg.buttons.plan, token=tokens.encode(tokens.OpenFlow(PLAN_FLOW))),),)
    return OutboundMessage(
        f"{heading}\n\n{_safe_html(safety_plan_html)}", buttons=buttons, kind="crisis"
    )


def asked_question(cfg: CrisisConfig, category: str) -> OutboundMessage:
    """The direct question a worrying but unclear message gets, with its two answers."""
    cat = cfg.category(category)
    assert cat.ask is not None
    buttons = (
        (Button(cat.yes_button, token=tokens.encode(tokens.AskedAnswer(True, category))),),
        (Button(cat.no_button, token=tokens.encode(tokens.AskedAnswer(False, category))),),
    )
    return OutboundMessage(_esc(cat.ask), buttons=buttons, kind="crisis")


def unsure_question(cfg: CrisisConfig, category: str) -> OutboundMessage:
    """The direct question an uncertain message gets, in the words of its category.

    The buttons carry the category whose help a "yes" brings (a category without its own
    question borrows the asking category's, whose "yes" leads where its ``if_yes`` says).
    """
    found = cfg.question_for(category)
    if found is None:  # a file with no question at all: answer rather than ask
        return crisis_messages(category, cfg, None)[0]
    owner, question = found
    target = category if owner == category else owner
    buttons = (
        (Button(question.yes_button, token=tokens.encode(tokens.AskedAnswer(True, target))),),
        (Button(question.no_button, token=tokens.encode(tokens.AskedAnswer(False, target))),),
    )
    return OutboundMessage(_esc(question.ask), buttons=buttons, kind="crisis")


def _resource_line(resource: Resource) -> str:
    return f"• <b>{_esc(resource.name)}</b>: {_esc(resource.how)}"


def _is_web(url: str | None) -> bool:
    return bool(url) and bool(re.match(r"https?://", url or "", re.IGNORECASE))


def _safe_html(text: str) -> str:
    """Keep <b>, <i> and entities; escape everything else; drop tags if unbalanced."""
    pieces = _SAFE_PIECE.split(text)
    out: list[str] = []
    stack: list[str] = []
    balanced = True
    for i, piece in enumerate(pieces):
        if i % 2 == 0:
            out.append(_esc(piece))
        elif piece.startswith("&"):
            out.append(piece)
        else:
            name = piece.strip("</>")
            if piece.startswith("</"):
                if not stack or stack.pop() != name:
                    balanced = False
            else:
                stack.append(name)
            out.append(piece)
    if balanced and not stack:
        return "".join(out)
    return "".join(p for p in out if not _ALLOWED_TAG.fullmatch(p))
