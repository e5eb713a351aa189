"""The revenue chart renders on a worker thread: the event loop keeps serving meanwhile (issue 12)."""

from __future__ import annotations

import base64
import gc
import threading
import time

import pytest

from elara_bot.agent import merchant_tools
from elara_bot.analytics.schemas import DailyRevenue
from elara_bot.contracts import ChartPart
from elara_bot.db import Conn
from tests.helpers import loop_gaps

YEAR = {"period": "range", "first_day": "2031-01-01", "last_day": "2031-12-31"}
SLOW_S = 1.0  # a render here takes 0.1-0.3 s; slowed down so a stall is unmistakable even on busy cores


class TestChartOffTheLoop:
    async def test_a_slow_render_does_not_stall_the_loop(
        self, conn: Conn, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        render = merchant_tools.revenue_png
        threads: list[int] = []

        def slow_render(series: list[DailyRevenue], title: str) -> bytes:
            threads.append(threading.get_ident())
            png = render(series, title)  # the real chart
            time.sleep(SLOW_S)
            return png

        monkeypatch.setattr(merchant_tools, "revenue_png", slow_render)
        # the objects already alive (every test module's imports) move out of the collector's reach: a full
        # collection over them, set off by matplotlib's import on the worker, paused the loop by ~0.5 s on a
        # busy machine, which is not what this test measures
        gc.collect()
        gc.freeze()
        try:
            async with loop_gaps() as gaps:
                for _ in range(2):
                    result = await merchant_tools.revenue_chart(conn, YEAR)
                    chart = result.parts[0]
                    assert isinstance(chart, ChartPart)
                    assert base64.b64decode(chart.png_base64).startswith(b"\x89PNG")
        finally:
            gc.unfreeze()
        # before: each chart stalled the loop for the whole render (> SLOW_S)
        assert max(gaps) < SLOW_S / 2, f"the loop stalled {max(gaps):.3f} s"
        assert len(threads) == 2
        assert threading.get_ident() not in threads  # rendered on a worker thread, not the loop's
