"""An idle install's log stays quiet: the job runner's scheduler says nothing at INFO between jobs."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from guestlist.jobs import runner


@pytest.fixture
def scheduler_logger() -> Iterator[logging.Logger]:
    logger = logging.getLogger("apscheduler")
    level = logger.level
    yield logger
    logger.setLevel(level)


def test_the_scheduler_logs_nothing_at_info_while_its_jobs_tick(
    scheduler_logger: logging.Logger, caplog: pytest.LogCaptureFixture
) -> None:
    runner.configure_logging()
    ticks: list[float] = []
    with caplog.at_level(logging.INFO):
        scheduler = BackgroundScheduler()
        scheduler.add_job(lambda: ticks.append(time.monotonic()), "interval", seconds=0.1)
        scheduler.start()
        time.sleep(0.6)
        scheduler.shutdown()

    assert len(ticks) >= 3
    chatter = [record.getMessage() for record in caplog.records if record.name.startswith("apscheduler")]
    assert chatter == []
