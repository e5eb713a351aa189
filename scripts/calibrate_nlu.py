# ruff: noqa: T201  (a script: it prints its table)
"""Calibrate the NLU's out-of-scope rule on train by cross-validation grouped by template (dev untouched).

A sentence is out of scope when the classifier's confidence is below a threshold and its nearest training
sentence is below a floor (`elara_bot.nlu.classifier.THRESHOLDS`, `NEAREST_FLOOR`). This prints accuracy and
out-of-scope recall for each pair; pick the best accuracy at the out-of-scope recall wanted.

    .venv/bin/python scripts/calibrate_nlu.py
"""

from __future__ import annotations

from elara_bot.config import get_settings
from elara_bot.nlu.evaluate import cross_validated_sweep
from elara_bot.nlu.understand import Nlu
from retrieval.embedding import SentenceTransformerEmbedder

THRESHOLDS = [0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6]
FLOORS = [0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 1.01]  # 1.01: the confidence alone


def main() -> None:
    settings = get_settings()
    embedder = SentenceTransformerEmbedder(settings.embedding.model_path)
    nlu = Nlu.train(embedder, cache_dir=settings.data_dir / "nlu")
    print("threshold  floor  accuracy  out-of-scope recall")
    for row in cross_validated_sweep(nlu, THRESHOLDS, FLOORS):
        print(f"{row.threshold:9.2f}  {row.floor:5.2f}  {row.accuracy:8.3f}  {row.oos_recall:.3f}")


if __name__ == "__main__":
    main()
