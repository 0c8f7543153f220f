"""The ``ask:`` kinds behind one registry: ``ASK_KINDS`` names each kind's class."""

from bot.flow.asks.base import Answer, AskKind, Rows, StillChoosing
from bot.flow.asks.options import Choice, Multi
from bot.flow.asks.values import COMMON_TIMEZONES, Number, Scale, Text, Time, Timezone, YesNo

ASK_KINDS: dict[str, type[AskKind]] = {
    kind.name: kind for kind in (Choice, Multi, Scale, YesNo, Timezone, Text, Number, Time)
}

__all__ = ["ASK_KINDS", "COMMON_TIMEZONES", "Answer", "AskKind", "Rows", "StillChoosing"]
