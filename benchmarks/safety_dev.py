"""Dev figures for tuning the crisis screen, never the held-out set.

Two measures, both printed as the report's summary lines:

* ``--folds K`` (default 3): the corpus cut into K parts by line number; each part is
  screened with a learned layer trained on the other parts, with today's rules and
  settings. The rules were written with the corpus, so their share is in-sample; the
  learned layer's is not.
* every file in ``data/safety/dev/``: project-owned lines that are never trained on,
  screened with the shipped model.

Run from the project folder:  .venv/bin/python benchmarks/safety_dev.py [--folds 3]
Tune thresholds and features on these figures; ``tests/safety/heldout.tsv`` is only
read once at the end, by its test.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import sys
import tempfile
from pathlib import Path

from bot.safety.labelled import LabelledMessage, read_labelled
from bot.safety.learned import LearnedLayer, ModelArrays
from bot.safety.report import MODES, LayeredReport, measure
from bot.safety.screen import CrisisScreen
from bot.safety.training import TrainingSet, corpus_files, label_of, train

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "data" / "safety" / "corpus"
DEV = ROOT / "data" / "safety" / "dev"
#: Fold models are kept here between runs: a change of thresholds or rules needs no retrain.
CACHE = Path(tempfile.gettempdir()) / "coach-safety-dev"


def _corpus_rows() -> list[LabelledMessage]:
    return [row for path in corpus_files(CORPUS) for row in read_labelled(path)]


def cross_validated(screen: CrisisScreen, folds: int) -> dict[str, LayeredReport]:
    """The report of each mode over the corpus, each fold screened by a model not trained on it."""
    rows = _corpus_rows()
    totals: dict[str, LayeredReport] = {m: LayeredReport(m, "corpus") for m in MODES}
    for fold in range(folds):
        taught = [(r, label_of(r)) for i, r in enumerate(rows) if i % folds != fold]
        data = TrainingSet(
            [r.text for r, lab in taught if lab], [lab for _, lab in taught if lab], ""
        )
        part = dataclasses.replace(screen, learned=LearnedLayer(_trained(data)))
        held = [r for i, r in enumerate(rows) if i % folds == fold]
        for mode in MODES:
            _add(totals[mode], measure(part, held, f"fold {fold}", mode))
        print(f"fold {fold + 1}/{folds} done", file=sys.stderr)
    return totals


def _trained(data: TrainingSet) -> ModelArrays:
    """The model for ``data``, from the cache when the same lines were trained on before."""
    key = hashlib.sha256("\0".join(data.texts + data.labels).encode()).hexdigest()[:20]
    path = CACHE / f"{key}.npz"
    if path.is_file():
        return ModelArrays.load(path)
    arrays = train(data)
    CACHE.mkdir(exist_ok=True)
    arrays.save(path)
    return arrays


def _add(total: LayeredReport, part: LayeredReport) -> None:
    for name in ("pos_total", "caught", "right_at_once", "only_question", "wrong_category"):
        getattr(total, name).update(getattr(part, name))
    total.neg_total += part.neg_total
    total.flagged += part.flagged
    total.abuse_as_suicide += part.abuse_as_suicide
    total.misses += part.misses
    total.flagged_rows += part.flagged_rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=3, help="corpus folds (0: skip)")
    parser.add_argument("--details", action="store_true", help="list the dev files' flags")
    args = parser.parse_args()
    screen = CrisisScreen.from_content(ROOT / "content")
    for path in sorted(DEV.glob("*.tsv")):
        rows = read_labelled(path)
        for mode in MODES:
            report = measure(screen, rows, str(path.relative_to(ROOT)), mode)
            print(f"{path.name} " + f"\n{path.name} ".join(report.summary()))
            if args.details and mode == "both":
                print("\n".join(report.details()))
    if args.folds > 1:
        for report in cross_validated(screen, args.folds).values():
            print(
                f"corpus {args.folds}-fold " + f"\ncorpus {args.folds}-fold ".join(report.summary())
            )


if __name__ == "__main__":
    main()
