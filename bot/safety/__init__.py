"""Crisis detection and crisis answers.

Every patient message is checked here before anything else. The package is plain Python:
it imports neither telegram nor sqlalchemy, so it can be tested and benchmarked alone.

    cfg = load_crisis_config("content/crisis.yaml")
    detector = CrisisDetector.from_config(cfg)
    found = detector.detect(text)            # Detection(category, rule_id) or None
    messages = crisis_messages(found.category, cfg, booking_url)
"""

from bot.safety.config import CrisisConfig, load_crisis_config
from bot.safety.detector import CrisisDetector, Detection
from bot.safety.normalize import normalize
from bot.safety.response import crisis_messages
from bot.safety.validate import validate_crisis_file

__all__ = [
    "CrisisConfig",
    "CrisisDetector",
    "Detection",
    "crisis_messages",
    "load_crisis_config",
    "normalize",
    "validate_crisis_file",
]
