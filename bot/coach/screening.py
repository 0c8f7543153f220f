"""Connect the crisis detector and its response texts to the engine's screening seam."""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

from bot.safety.config import CrisisConfig, load_crisis_config
from bot.safety.detector import CrisisDetector
from bot.safety.response import crisis_messages
from bot.shared.messages import OutboundMessage, SafetyEvent

CRISIS_FILE = "crisis.yaml"


@dataclass
class CrisisScreener:
    """The engine's Screener, backed by content/crisis.yaml (loaded once, at start)."""

    config: CrisisConfig
    detector: CrisisDetector
    booking_url: str | None = None

    @classmethod
    def from_content(cls, content_dir: Path, booking_url: str | None) -> CrisisScreener:
        config = load_crisis_config(content_dir / CRISIS_FILE)
        return cls(config, CrisisDetector.from_config(config), booking_url)

    def screen(self, text: str) -> SafetyEvent | None:
        found = self.detector.detect(text)
        return SafetyEvent(found.category, found.rule_id) if found else None

    def crisis_messages(
        self, category: str | None, in_exercise: bool, safety_plan_html: str | None = None
    ) -> list[OutboundMessage]:
        return crisis_messages(
            category,
            self.config,
            self.booking_url,
            safety_plan_html=safety_plan_html,
            in_exercise=in_exercise,
        )

    def asking_categories(self) -> list[str]:
        return [c.name for c in self.config.categories if c.ask is not None]

    def asks_first(self, category: str) -> bool:
        return self.config.category(category).ask is not None

    def if_yes(self, category: str) -> str:
        return self.config.category(category).if_yes

    def if_no(self, category: str) -> str:
        return html.escape(self.config.category(category).if_no, quote=False)
