"""Order events to the platform's ``webhook_url`` (Standard Webhooks headers: Webhook-Id, Webhook-Timestamp;
UCP-Agent names this store's profile; signed with RFC 9421: Content-Digest, Signature-Input, Signature).
Sent after the transaction committed; a failed delivery is retried a few times with back-off and logged,
never turned into an error of the request that caused it."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from typing import Any

import httpx

from elara_bot.ucp.signatures import Signer

log = logging.getLogger(__name__)
ATTEMPTS = 3


async def deliver(
    url: str, order: dict[str, Any], business_profile: str, signer: Signer, timeout_s: float = 5.0
) -> bool:
    """POST the order, signed (RFC 9421, the profile's signing key), retried with back-off on failure."""
    body = json.dumps(order, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "UCP-Agent": f'profile="{business_profile}"',
        "Webhook-Id": str(uuid.uuid4()),
        "Webhook-Timestamp": str(int(time.time())),
    }
    headers = signer.sign("POST", url, headers, body)
    for attempt in range(ATTEMPTS):
        try:
            async with httpx.AsyncClient(timeout=timeout_s, follow_redirects=False) as client:
                response = await client.post(url, content=body, headers=headers)
            if response.is_success:
                return True
            log.warning("order webhook to %s answered %s", url, response.status_code)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            log.warning("order webhook to %s failed: %s", url, exc)
        await asyncio.sleep(0.2 * 2**attempt)
    return False
