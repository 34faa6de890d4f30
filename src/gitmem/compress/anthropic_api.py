"""The Anthropic Messages API backend: one call with a forced tool, its own retries within the deadline.

The only module that imports anthropic, inside ``call_anthropic``: the SDK takes
2.7 s to import, so only the flush worker pays for it, and only when it calls.
The SDK's own retries are off (they honour any Retry-After, however long);
429, 5xx and connection errors are retried here until the deadline, and the
whole call, however slowly the server answers, ends by it (``call_before``).
"""

from __future__ import annotations

import logging
import random
import time
from typing import Any, Mapping

from gitmem import fence
from gitmem.compress.answer import SUMMARY_SCHEMA, Answer
from gitmem.compress.deadline import DeadlinePassed, call_before
from gitmem.config import Config
from gitmem.errors import SummarizeError

logger = logging.getLogger(__name__)

TOOL_NAME = "record_session_summary"
MAX_OUTPUT_TOKENS = 2048
MAX_RETRIES = 4


def _retry_after(headers: Any) -> float | None:
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        try:
            value = float(headers.get(name)) / scale
        except (TypeError, ValueError, AttributeError):
            continue
        if value >= 0:
            return value
    return None


def _error_text(exc: Any) -> str:
    body = getattr(exc, "body", None)
    err = body.get("error") if isinstance(body, dict) else None
    if isinstance(err, dict):
        return fence.one_line(f"{err.get('type', 'error')}: {err.get('message', '')}", 200)
    return fence.one_line(getattr(exc, "message", "") or str(exc), 200)


def call_anthropic(system: str, user: str, config: Config, deadline: float, env: Mapping[str, str]) -> Answer:
    """One Messages API call with a forced tool; own retries (429, 5xx, connection) inside the deadline."""
    key = env.get("ANTHROPIC_API_KEY")
    if not key:
        raise SummarizeError("ANTHROPIC_API_KEY is not set")
    import anthropic  # 2.7 s to import: only here, in the worker

    # The SDK's own retries honour any Retry-After, however long; ours stop at the deadline.
    client = anthropic.Anthropic(api_key=key, base_url=env.get("ANTHROPIC_BASE_URL") or None, max_retries=0,
                                 timeout=max(deadline - time.monotonic(), 0.1))
    tool: anthropic.types.ToolParam = {"name": TOOL_NAME, "description": "Record the summary of the coding session.",
            "input_schema": SUMMARY_SCHEMA}
    attempt = 0
    with client:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0.05:
                raise SummarizeError(f"no answer within {config.summarizer_timeout_seconds}s")
            try:
                # The SDK's timeout is per read: a server trickling bytes never trips it. call_before gives the
                # call back at the deadline whatever the server does, and closes the client's connections.
                message = call_before(lambda: client.messages.create(
                    model=config.model, max_tokens=MAX_OUTPUT_TOKENS, system=system,
                    messages=[{"role": "user", "content": user}], tools=[tool],
                    tool_choice={"type": "tool", "name": TOOL_NAME}, timeout=remaining), deadline, client.close)
                break
            except (anthropic.APITimeoutError, DeadlinePassed):
                raise SummarizeError(f"no answer within {config.summarizer_timeout_seconds}s") from None
            except anthropic.APIStatusError as exc:
                status = exc.status_code
                what = f"HTTP {status} {_error_text(exc)}"
                if not (status in (408, 409, 429) or status >= 500) or attempt >= MAX_RETRIES:
                    raise SummarizeError(what + (f" (after {attempt + 1} attempts)" if attempt else "")) from None
                wait = _retry_after(exc.response.headers)
            except anthropic.APIConnectionError as exc:
                what = f"cannot reach the API ({fence.one_line(str(exc), 120)})"
                if attempt >= MAX_RETRIES:
                    raise SummarizeError(what) from None
                wait = None
            if wait is None:
                wait = min(0.5 * 2 ** attempt, 8.0) * (0.75 + 0.25 * random.random())
            if time.monotonic() + wait >= deadline:
                raise SummarizeError(f"{what}; a retry in {wait:.1f}s would pass the deadline")
            logger.info("summarizer: %s; retrying in %.1fs", what, wait)
            time.sleep(wait)
            attempt += 1
    usage = getattr(message, "usage", None)
    tokens_in = sum(getattr(usage, k, 0) or 0 for k in ("input_tokens", "cache_creation_input_tokens",
                                                          "cache_read_input_tokens"))
    tokens_out = getattr(usage, "output_tokens", 0) or 0
    for block in message.content or ():
        if isinstance(block, anthropic.types.ToolUseBlock) and block.name == TOOL_NAME:
            return Answer(block.input, getattr(message, "model", "") or config.model, tokens_in, tokens_out)
    error = SummarizeError(f"the answer did not call {TOOL_NAME} (stop_reason {message.stop_reason})")
    error.spent = (tokens_in, tokens_out)
    raise error
