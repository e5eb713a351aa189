"""Score-normalised fusion (issue 14, item 3) beside weighted RRF: the arithmetic of ``fuse_scores`` and the
option end to end on real PostgreSQL and MiniLM."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import pytest

from elara_bot.catalog.importer import import_catalog
from elara_bot.db import Conn
from retrieval.embedding import Embedder
from retrieval.search import Filter, Tuning, fuse, fuse_scores, search_ranked


class TestFuseScores:
    def test_min_max_adds_each_lists_normalised_scores_by_weight(self) -> None:
        lists = {
            "txt": [("a", 1.5, 0.9), ("b", 1.5, 0.5), ("c", 1.5, 0.1)],
            "vec": [("c", 1.0, 0.8), ("b", 1.0, 0.6), ("d", 1.0, 0.4)],
        }
        fused = dict(fuse_scores(lists, "minmax", 10))
        assert fused["a"] == pytest.approx(1.5)  # best text, no vector
        assert fused["b"] == pytest.approx(1.5 * 0.5 + 0.5)
        assert fused["c"] == pytest.approx(0.0 + 1.0)  # worst text, best vector
        assert fused["d"] == pytest.approx(0.0)
        assert [pid for pid, _ in fuse_scores(lists, "minmax", 2)] == ["a", "b"]

    def test_scores_not_ranks_decide(self) -> None:
        """Two products close in similarity but far apart in text score: RRF sees two ranks one apart,
        min-max sees the gap."""
        lists = {
            "txt": [("x", 1.0, 1.0), ("y", 1.0, 0.1), ("z", 1.0, 0.0)],
            "vec": [("y", 1.0, 0.51), ("x", 1.0, 0.50), ("z", 1.0, 0.1)],
        }
        assert fuse_scores(lists, "minmax", 1)[0][0] == "x"
        rrf = fuse({name: [(pid, w) for pid, w, _ in entries] for name, entries in lists.items()}, 60, 2)
        assert rrf[0][1] == pytest.approx(rrf[1][1])  # RRF: a tie between x and y

    def test_a_lone_match_counts_as_the_best_of_its_list(self) -> None:
        lists = {"txt": [("m", 2.0, 0.3)], "vec": [("n", 1.0, 0.7), ("m", 1.0, 0.2), ("o", 1.0, 0.1)]}
        hows: list[Literal["minmax", "zscore"]] = ["minmax", "zscore"]
        for how in hows:
            assert fuse_scores(lists, how, 3)[0][0] == "m", how

    def test_z_scores_never_reward_being_absent_from_a_list(self) -> None:
        lists = {
            "txt": [("a", 1.0, 3.0), ("b", 1.0, 1.0), ("c", 1.0, 0.0)],
            "vec": [("a", 1.0, 0.9), ("c", 1.0, 0.5), ("d", 1.0, 0.45)],
        }
        fused = fuse_scores(lists, "zscore", 10)
        # d, last of the vector list and absent from the text list, ranks below c, last of the text list;
        # b (absent from the vector list) below c, which both lists hold
        assert [pid for pid, _ in fused] == ["a", "c", "b", "d"]
        scores = dict(fused)
        assert scores["a"] == pytest.approx(1.336 + 1.407, abs=0.01)


PRODUCTS = [
    ("drill", "Makita 18V Cordless Drill XFD131", "Tools > Power Tools > Drills", "A compact drill driver."),
    ("driver", "Makita 18V Impact Driver XDT131", "Tools > Power Tools > Drivers", "Drives long screws."),
    ("saw", "DeWalt Circular Saw DWE575", "Tools > Power Tools > Saws", "A light 7-1/4 in. saw."),
    ("kettle", "Electric Kettle 1.7 l", "Kitchen > Kettles", "Boils water fast."),
]


async def test_each_fusion_ranks_a_model_number_first(conn: Conn, embedder: Embedder, tmp_path: Path) -> None:
    path = tmp_path / "tools.jsonl"
    path.write_text(
        "".join(
            json.dumps(
                {
                    "id": pid,
                    "title": title,
                    "category": category,
                    "description": description,
                    "variants": [{"sku": f"{pid}-1", "price_minor": 9900, "stock": 3}],
                }
            )
            + "\n"
            for pid, title, category, description in PRODUCTS
        )
    )
    await import_catalog(conn, embedder, path, progress=False)
    vector = embedder.embed_query("makita xdt131")
    fusions: list[Literal["rrf", "minmax", "zscore"]] = ["rrf", "minmax", "zscore"]
    for fusion in fusions:
        tuning = Tuning(text_weight=1.5, fusion=fusion)
        ranked = await search_ranked(conn, vector, "makita xdt131", Filter(), 4, "hybrid", tuning)
        assert ranked[0].id == "driver", fusion
        assert ranked[0].text_tier == 0
        assert ranked[0].similarity is not None
        assert [r.score for r in ranked] == sorted((r.score for r in ranked), reverse=True)
