"""The menu in content/menu.yaml's order, /help and Telegram's command list (issue 14, 6)."""

from __future__ import annotations

import re
from pathlib import Path

from bot.flow.engine import Engine
from bot.flow.library import FlowLibrary
from bot.shared.yamlio import read_yaml
from bot.tg.command_menu import bot_commands
from tests.flow.helpers import DEMO_CONTENT, GOOD_FLOW, make_library
from tests.flow.test_engine import Chat, said

ROOT = Path(__file__).resolve().parents[2]


def test_the_menu_keeps_the_order_written_in_menu_yaml(engine: Engine) -> None:
    written = list(read_yaml(ROOT / "content" / "menu.yaml").data)
    turn = Chat(engine).send("/menu")
    labels = [b.label for row in turn.messages[-1].buttons for b in row]
    assert labels[0] == "I'm struggling right now"
    shown = [c.id for c in engine.library.menu()]
    assert shown == [key for key in written if key in shown]
    assert [engine.library.content.get(f"menu.{key}") for key in shown] == labels


def test_help_names_the_skills_reminders_export_and_delete(engine: Engine) -> None:
    text = said(Chat(engine).send("/help"))
    for command in ("/surf", "/breathe", "/ground", "/slip", "/pain", "/sleep", "/night"):
        assert command in text
    for command in ("/reminders", "/export", "/delete", "/sos", "/plan", "/distress"):
        assert command in text
    for command in ("/checkin", "/trigger", "/tipp", "/reframe", "/learn", "/questionnaires"):
        assert command in text
    assert len(text) < 600


def test_every_command_in_help_is_one_the_coach_answers(library: FlowLibrary) -> None:
    named = set(re.findall(r"/([a-z_]+)", library.content.get("system.help")))
    # A flow's command, or one the coach answers itself (the library's reserved commands:
    # /export, /progress, /sharing...).
    assert named and all(library.answers_command(name) for name in named), named


def test_telegrams_command_list_has_the_skills_reminders_export_and_delete(
    library: FlowLibrary,
) -> None:
    names = [c.command for c in bot_commands(library)]
    assert names[:6] == ["start", "menu", "help", "cancel", "sos", "book"]
    for name in ("surf", "breathe", "ground", "slip", "pain", "sleep", "night", "distress"):
        assert name in names
    assert {"reminders", "export", "delete"} <= set(names)
    assert len(names) == len(set(names))


def test_every_listed_command_is_one_the_coach_answers(library: FlowLibrary) -> None:
    prefix = "system.commands."
    listed = [k.removeprefix(prefix) for k in library.content.texts if k.startswith(prefix)]
    assert [name for name in listed if name != "start" and not library.answers_command(name)] == []


def test_a_listed_command_without_its_flow_is_left_out(tmp_path: Path) -> None:
    library = make_library(tmp_path, {"demo.yaml": GOOD_FLOW})
    names = [c.command for c in bot_commands(library)]
    assert "surf" not in names and "export" in names and "demo" not in names


def _flow(flow_id: str, start: str) -> str:
    return GOOD_FLOW.replace("id: demo", f"id: {flow_id}").replace(
        "start:\n  command: demo", f"start:\n{start}"
    )


def test_beside_menu_needs_the_buttons_words_and_a_row_holds_two(tmp_path: Path) -> None:
    content = {"demo.yaml": DEMO_CONTENT + 'skills: "All"\n'}
    flows = {
        "a.yaml": _flow("a", "  menu: demo.skills\n  beside_menu: true"),
        "b.yaml": _flow("b", "  menu: demo.skills\n  beside_menu: true"),
        "c.yaml": _flow("c", "  menu: demo.skills\n  beside_menu: true"),
        "d.yaml": _flow("d", "  beside_menu: true"),
    }
    library = make_library(tmp_path, flows, content)
    problems = {(Path(p.file).name, p.line): p.message for p in library.problems}
    assert problems == {
        ("c.yaml", 8): "only 2 flows may have beside_menu (a, b already do); remove it from "
        "one of them",
        ("d.yaml", 7): "beside_menu shows the flow's menu button, so the flow needs one: add "
        "menu: with the button's words",
    }
    assert [c.id for c in library.beside_menu()] == ["a", "b"]
