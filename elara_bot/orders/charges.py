"""The charge journal: every PaymentIntent charge of a checkout session is written down (and committed)
BEFORE the provider is called, so money taken for an order that was never recorded (the process died, or
the order's transaction failed to commit, after the charge) is found again and given back.

A row is ``pending`` from before the call; ``failed`` when the charge was declined; ``settled`` in the
order's own transaction (``settle``: "settled" and "the order exists" commit or roll back together);
``refunded`` when its charge had no order and was refunded. ``reconcile_due`` (run by the order sweeper)
takes rows still pending after the grace period and asks the provider what became of them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from psycopg_pool import AsyncConnectionPool

from elara_bot.db import Conn
from elara_bot.errors import Conflict
from elara_bot.orders.charges_repository import (
    JournalRow,
    Status,
    due_ids,
    lock_pending,
    mark,
    open_attempt,
    order_paid_by,
    pending_of_session,
    record_intent,
)
from elara_bot.orders.schemas import PaymentAlert
from elara_bot.payments.base import IntentCharger, IntentLedger, IntentState, PaymentDeclined

log = logging.getLogger(__name__)

IN_FLIGHT = ("processing",)  # may still succeed: wait
CANCELABLE = ("requires_confirmation", "requires_action", "requires_capture", "requires_payment_method")


# --- reconciliation ------------------------------------------------------------------------------------
def refund_key(row: JournalRow, intent: IntentState, succeeded: list[IntentState]) -> str:
    """``orphan-refund-<journal id>``: one refund per row whoever runs it (the sweeper, a completion
    giving its charge back, twice, at once). A row with more than one intent that took money (a charge
    retried after its refund) keys each refund by its intent too: one key is never reused for another."""
    base = f"orphan-refund-{row['id']}"
    return base if len(succeeded) == 1 else f"{base}-{intent.id}"


async def reconcile_row(
    conn: Conn, ledger: IntentLedger, row: JournalRow, *, due: bool
) -> tuple[Status, PaymentAlert | None]:
    """Decide a locked pending row from what the provider says (the row is updated on ``conn``): money
    held by an order settles it; money without an order is refunded once; nothing taken fails it (when
    ``due``, or when the provider knows the attempt's intents, none of which took money); an intent
    still processing leaves it pending."""
    intents = await ledger.find_intents(str(row["id"]), row["intent_id"])
    if any(i.status in IN_FLIGHT for i in intents):
        return "pending", None
    succeeded = sorted((i for i in intents if i.status == "succeeded"), key=lambda i: i.id)
    for intent in intents:
        if intent.status in CANCELABLE:  # nobody can finish it: nothing may be left to capture
            await ledger.cancel_intent(intent.id)
    if not succeeded:
        if not due and not intents:
            return "pending", None
        await mark(conn, row["id"], "failed")
        return "failed", None
    owner: UUID | None = None
    refunded: list[tuple[IntentState, int]] = []
    for intent in succeeded:
        if (order := await order_paid_by(conn, intent.id)) is not None:
            owner = order
            continue
        remaining = intent.amount_minor - intent.refunded_minor
        if remaining > 0:
            await ledger.refund(intent.id, remaining, intent.currency, refund_key(row, intent, succeeded))
            refunded.append((intent, remaining))
    status: Status = "settled" if owner is not None else "refunded"
    await mark(conn, row["id"], status, owner)
    if not refunded:
        return status, None
    amount = sum(part for _, part in refunded)
    ids = ", ".join(intent.id for intent, _ in refunded)
    alert = PaymentAlert(
        kind="orphan_charge_refunded",
        order_number=None,
        detail=(
            f"Checkout {row['checkout_session_id']}: Stripe took {amount} (minor units) "
            f"{row['currency'].strip()} (PaymentIntent {ids}) but no order was recorded for it; "
            "it has been refunded in full."
        ),
        amount_minor=amount,
        currency=row["currency"].strip(),
    )
    return status, alert


async def reconcile_due(
    pool: AsyncConnectionPool[Conn], ledger: IntentLedger, grace_s: float
) -> list[PaymentAlert]:
    """Reconcile every row pending for longer than ``grace_s``, each in its own short transaction that
    holds the row and its checkout session (a concurrent run, or a completion in flight, is skipped);
    returns the merchant's alerts for what was refunded. A row the provider cannot answer for stays
    pending for the next run."""
    async with pool.connection() as conn:
        ids = await due_ids(conn, datetime.now(UTC) - timedelta(seconds=grace_s))
    alerts = []
    for journal_id in ids:
        try:
            async with pool.connection() as conn, conn.transaction():
                row = await lock_pending(conn, journal_id, with_session=True)
                if row is None:
                    continue
                status, alert = await reconcile_row(conn, ledger, row, due=True)
            log.info("charge journal %s: %s", journal_id, status)
            if alert is not None:
                alerts.append(alert)
        except Exception:
            log.exception("could not reconcile charge journal row %s; it stays pending", journal_id)
    return alerts


# --- the completion path -------------------------------------------------------------------------------
@dataclass
class JournaledCharger:
    """An ``IntentCharger`` that writes each charge of one checkout session to the journal first, in its
    own committed transaction (``pool``), and names the row in the PaymentIntent's metadata. A charge
    declined fails the row; a provider error leaves it pending (the charge may have happened: the
    reconciliation finds out). Before charging, the session's other pending attempts (another credential,
    after a crash or a timeout) are reconciled; one that cannot be decided yet is a 409, never a second
    charge."""

    provider: IntentCharger
    ledger: IntentLedger
    pool: AsyncConnectionPool[Conn]
    session_id: str
    grace_s: float
    journal_id: UUID | None = None  # the row of the charge that succeeded

    async def charge_intent(
        self,
        amount_minor: int,
        currency: str,
        *,
        payment_method: str | None,
        shared_token: str | None,
        idempotency_key: str,
        metadata: dict[str, str],
    ) -> str:
        await self._settle_earlier_attempts(idempotency_key)
        async with self.pool.connection() as conn, conn.transaction():
            row = await open_attempt(conn, self.session_id, idempotency_key, amount_minor, currency)
        named = {**metadata, "checkout_session_id": self.session_id, "journal_id": str(row["id"])}
        try:
            intent_id = await self.provider.charge_intent(
                amount_minor,
                currency,
                payment_method=payment_method,
                shared_token=shared_token,
                idempotency_key=idempotency_key,
                metadata=named,
            )
        except PaymentDeclined:
            async with self.pool.connection() as conn, conn.transaction():
                await mark(conn, row["id"], "failed")
            raise
        async with self.pool.connection() as conn, conn.transaction():
            await record_intent(conn, row["id"], intent_id)
        self.journal_id = row["id"]
        return intent_id

    async def _settle_earlier_attempts(self, key: str) -> None:
        """Called under the checkout session's lock (no other completion of it is in flight)."""
        async with self.pool.connection() as conn:
            earlier = await pending_of_session(conn, self.session_id, key)
        for old in earlier:
            async with self.pool.connection() as conn, conn.transaction():
                row = await lock_pending(conn, old["id"], with_session=False)
                if row is None:  # decided meanwhile, or a reconciliation holds it
                    cur = await conn.execute("SELECT status FROM charge_journal WHERE id = %s", (old["id"],))
                    found = await cur.fetchone()
                    if found is not None and found["status"] != "pending":
                        continue
                    raise _still_open()
                due = row["updated_at"] < datetime.now(UTC) - timedelta(seconds=self.grace_s)
                status, alert = await reconcile_row(conn, self.ledger, row, due=due)
            if alert is not None:
                log.warning("payment alert (%s): %s", alert.kind, alert.detail)
            if status == "pending":
                raise _still_open()

    async def give_back(self) -> None:
        """The charge succeeded but its order was not recorded (the completion's transaction failed):
        reconcile the row now rather than after the grace period (the same refund, under the same key);
        if that fails the row stays pending for the sweeper."""
        if self.journal_id is None:
            return
        try:
            async with self.pool.connection() as conn, conn.transaction():
                row = await lock_pending(conn, self.journal_id, with_session=False)
                if row is None:
                    return
                status, alert = await reconcile_row(conn, self.ledger, row, due=True)
            log.warning("charge journal %s had no order: %s", self.journal_id, status)
            if alert is not None:
                log.warning("payment alert (%s): %s", alert.kind, alert.detail)
        except Exception:
            log.exception(
                "charge journal %s has no order and was not settled yet: the sweeper retries", self.journal_id
            )


def _still_open() -> Conflict:
    return Conflict(
        "an earlier payment attempt for this checkout is still being settled with the payment provider;"
        " retry with the same payment credential, or try again in a few minutes"
    )
