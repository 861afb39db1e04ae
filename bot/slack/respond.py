"""`respond()` through the same policy as the Web API client.

Bolt's own `respond` posts to a `response_url` with a bare webhook client: not
retried on a rate limit, not counted, and silent on failure. Every listener
here gets this one instead (a global middleware in `bot.slack.app`): counted
as `response_url` in the metrics, a 429 or a request that never left (a
refused connection, a connect that timed out) retried, and
any other failure raised, so the app's error handler logs it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_bolt import Respond
from slack_sdk.models.blocks import Block
from slack_sdk.webhook import WebhookClient, WebhookResponse

from bot.metrics import Metrics
from bot.slack.client import TIMEOUT_SECONDS, webhook_handlers


class ResponseUrlError(Exception):
    """Slack refused a `response_url` post (expired, invalid, or an error);
    `status`: its HTTP status (a 5xx may come after Slack posted)."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


class PolicyRespond(Respond):
    def __init__(self, *, response_url: str | None, metrics: Metrics) -> None:
        super().__init__(response_url=response_url)
        self.metrics = metrics

    def __call__(
        self,
        text: str | dict[str, Any] = "",
        blocks: Sequence[dict[str, Any] | Block] | None = None,
        attachments: Sequence[Any] | None = None,
        response_type: str | None = None,
        replace_original: bool | None = None,
        delete_original: bool | None = None,
        unfurl_links: bool | None = None,
        unfurl_media: bool | None = None,
        thread_ts: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> WebhookResponse:
        if self.response_url is None:
            raise ValueError("respond is unsupported here as there is no response_url")
        if isinstance(text, dict):
            message = dict(text)
        else:
            fields = {
                "text": text,
                "blocks": [b.to_dict() if isinstance(b, Block) else b for b in blocks]
                if blocks is not None
                else None,
                "attachments": attachments,
                "response_type": response_type,
                "replace_original": replace_original,
                "delete_original": delete_original,
                "unfurl_links": unfurl_links,
                "unfurl_media": unfurl_media,
                "thread_ts": thread_ts,
                "metadata": metadata,
            }
            message = {k: v for k, v in fields.items() if v is not None}
        client = WebhookClient(
            url=self.response_url,
            timeout=TIMEOUT_SECONDS,
            retry_handlers=webhook_handlers(self.metrics),
        )
        # The webhook client asks its handlers (the meter among them) about
        # failed attempts only: the one that got through is counted here.
        response = client.send_dict(message)
        if response.status_code == 200:
            self.metrics.slack_call("response_url")
        else:
            said = str(response.body)[:100]
            raise ResponseUrlError(
                f"response_url answered {response.status_code}: {said}",
                response.status_code,
            )
        return response
