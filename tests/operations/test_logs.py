"""Logs for people who run services: one line per request when asked, JSON for shippers,
tokens scrubbed in every format."""

from __future__ import annotations

import json
import logging
import logging.config
import subprocess
import sys
from io import StringIO

import pytest
from django.test import RequestFactory

from guestlist.core.middleware import RequestLogMiddleware
from guestlist.core.views import healthz
from guestlist.lib.env import ConfigError
from guestlist.lib.logs import JsonFormatter, env_log_format, logging_config
from guestlist.plex.redaction import RedactTokens, remember_secret


def configured(log_format: str) -> tuple[logging.Logger, StringIO]:
    """A logger with the console handler the settings describe (formatter and filter from
    ``logging_config``), writing to a buffer; the process's own logging stays as it is."""
    config = logging_config(
        level="INFO", log_format=log_format, filters={"redact_tokens": {"()": "guestlist.plex.redaction.RedactTokens"}}
    )
    formatter_spec = config["formatters"]["default"]
    assert config["handlers"]["console"]["filters"] == ["redact_tokens"]
    stream = StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactTokens())
    handler.setFormatter(JsonFormatter() if "()" in formatter_spec else logging.Formatter(formatter_spec["format"]))
    logger = logging.getLogger(f"test.logs.{log_format}")
    logger.handlers, logger.propagate = [handler], False
    logger.setLevel(logging.INFO)
    return logger, stream


def test_json_lines_carry_time_level_logger_and_message() -> None:
    logger, stream = configured("json")
    logger.warning("Plex answered %s", 503)
    entry = json.loads(stream.getvalue())
    assert entry["level"] == "WARNING"
    assert entry["logger"] == "test.logs.json"
    assert entry["message"] == "Plex answered 503"
    assert entry["time"].endswith("+00:00")


def test_json_output_masks_plex_tokens_in_messages_and_tracebacks() -> None:
    logger, stream = configured("json")
    remember_secret("a-remembered-plex-token")
    logger.info("GET https://plex.tv/api/v2/user?X-Plex-Token=abcdef123456 failed")
    try:
        raise RuntimeError("authToken='zyxwvu987654' and a-remembered-plex-token")
    except RuntimeError:
        logger.exception("It broke")
    output = stream.getvalue()
    assert "abcdef123456" not in output
    assert "zyxwvu987654" not in output
    assert "a-remembered-plex-token" not in output
    entries = [json.loads(line) for line in output.splitlines()]
    assert "<redacted>" in entries[0]["message"]
    assert "RuntimeError" in entries[1]["exception"]


def test_plain_output_masks_tokens_too() -> None:
    logger, stream = configured("plain")
    logger.info("url=http://pms:32400/library?X-Plex-Token=secretvalue99")
    assert "secretvalue99" not in stream.getvalue()
    assert "INFO test.logs.plain:" in stream.getvalue()


def test_an_unknown_log_format_is_refused_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUESTLIST_LOG_FORMAT", "xml")
    with pytest.raises(ConfigError, match="GUESTLIST_LOG_FORMAT"):
        env_log_format()


def test_request_lines_name_method_path_status_and_leave_out_query_strings(
    caplog: pytest.LogCaptureFixture, db: None
) -> None:
    middleware = RequestLogMiddleware(healthz)
    with caplog.at_level(logging.INFO, logger="guestlist.requests"):
        middleware(RequestFactory().get("/healthz", {"token": "keep-me-out"}))
    record = next(r for r in caplog.records if r.name == "guestlist.requests")
    assert record.getMessage().startswith("GET /healthz 200 ")
    assert "keep-me-out" not in record.getMessage()
    assert (record.__dict__["method"], record.__dict__["status"]) == ("GET", 200)


def test_the_job_runner_logs_json_too_and_keeps_apscheduler_quiet() -> None:
    code = (
        "import logging, guestlist.jobs.runner as r, sys\n"
        "import os; os.environ['GUESTLIST_LOG_FORMAT']='json'\n"
        "r.Runner = None\n"
        "try:\n    r.main()\nexcept TypeError:\n    pass\n"
        "logging.getLogger('apscheduler.scheduler').info('noise')\n"
        "logging.getLogger('guestlist.jobs').info('runner line')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    assert [line["message"] for line in lines] == ["runner line"]
