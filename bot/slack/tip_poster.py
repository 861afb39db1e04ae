"""Daily tips in Slack: claim, post, and the thread that looks for due tips.

A tip is claimed in the store before it is posted, so a restart, a crash or a
second process never posts a channel's tip twice for one date. The cost: a
crash between the claim and Slack's answer leaves that tip unconfirmed, and it
is not posted again (it may have gone out).

When Slack refuses a post:
- the channel is gone or closed to the bot (`PAUSE_ERRORS`): the subscription
  is paused until someone runs `/stpm tips on` there, and the claim released;
- Slack says nothing was posted and it may work later (`RETRY_ERRORS`): the
  claim is released, so the next look retries while the grace period lasts;
- the answer is lost or unclear (a timeout, a reset, a 5xx, `fatal_error`,
  `internal_error`): the message may exist, so the poster looks for it in
  the channel, or for a person's own tip in the app's DM with them (each tip
  carries its channel and date in its metadata). Found: posted. Not there:
  the claim is released and the next look retries. The look failed too:
  `unknown`, the claim stays, and nothing is posted twice; it is looked at
  again once stale, unless Slack refused the look for good (`missing_scope`:
  a person's DM needs `im:write`, a channel's history its scope), which
  settles it;
- the post surely never reached Slack (the connection refused or timed out
  before it was made, the host not found, after the client's retries): the
  claim is released and the next look retries;
- any other refusal (`invalid_blocks`, …): `failed`, the claim stays.

A claim never confirmed as posted and older than STALE_CLAIM (its process
died mid-post) is settled the same way on the next look.
"""

from __future__ import annotations

import datetime as dt
import http.client
import threading
import time
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Literal

import structlog
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.exc import SQLAlchemyError

from bot.answers.schedule import (
    Due,
    Policy,
    due_now,
    due_on,
    next_tip,
    tip_order,
)
from bot.clock import Clock
from bot.knowledge.models import Knowledge, Tip
from bot.metrics import Metrics
from bot.search.library import Library
from bot.settings import Settings, parse_hhmm
from bot.slack import blocks
from bot.slack.client import never_sent
from bot.slack.posting import (
    RETRY_ERRORS,
    UNCLEAR_ERRORS,
    UnknownIfPosted,
    conversation_of,
    find_reply,
    tag,
)
from bot.store.database import Store
from bot.store.engine import why
from bot.store.posted_tips import StaleClaim

PAUSE_ERRORS = frozenset(
    {
        "not_in_channel",
        "is_archived",
        "channel_not_found",
        "restricted_action_read_only_channel",
    }
)

STALE_CLAIM = dt.timedelta(minutes=2)
TAKEN_POLL = dt.timedelta(seconds=5)  # how often `finish_taken` looks again
TAKEN_WAIT = dt.timedelta(minutes=5)  # and for how long at most
LOOK_BACK = dt.timedelta(minutes=1)  # clock differences between us and Slack

# What became of one channel's tip for one date.
Delivery = Literal[
    "posted",
    "already_posted",
    "taken",
    "paused",
    "retry",
    "failed",
    "unknown",
    "no_tips",
    "store_failed",
    "switched_off",
]
# What a look for a tip found; `never`: Slack refused the look for a reason
# that won't pass (`missing_scope`, say: no `im:write` or history scope).
Seen = Literal["found", "absent", "unknown", "never"]
# Slack's words for a refusal that passes: looked at again once stale.
PASSING_ERRORS = UNCLEAR_ERRORS | RETRY_ERRORS | {"team_added_to_org"}
log = structlog.get_logger()


def slack_error(error: SlackApiError) -> str:
    return str(error.response.get("error") or error.response.status_code)


@dataclass(frozen=True)
class Posting:
    due: Due
    outcome: Delivery


class TipPoster:
    """Posts the tips that are due; safe to run in any number of processes."""

    def __init__(
        self,
        library: Library,
        store: Store,
        client: WebClient,
        policy: Policy,
        metrics: Metrics,
    ) -> None:
        self.library = library
        self.store = store
        self.metrics = metrics
        self.client = client
        self.policy = policy

    def post_due(self, now: dt.datetime) -> list[Posting]:
        """What the scheduler does at `now`: tips whose time has come."""
        return self._post_all(due_now(self.store.subscriptions(), now, self.policy))

    def post_date(
        self, date: dt.date, channels: AbstractSet[str] | None = None
    ) -> list[Posting]:
        """`stpm-bot post-tips`: every channel's tip for `date` not yet posted
        (or only `channels`')."""
        due = due_on(self.store.subscriptions(), date, self.policy)
        if channels is not None:
            due = [d for d in due if d.channel in channels]
        return self._post_all(due)

    def finish_taken(
        self,
        date: dt.date,
        postings: list[Posting],
        sleep: Callable[[float], object] = time.sleep,
    ) -> list[Posting]:
        """`postings` (of `post_date`), with the tips another process was
        posting waited for: until it is done, or its claim is stale and is
        settled here (a run that died mid-post, rerun at once, finishes its
        work instead of leaving the day's tip to nobody). How long is read
        from the claims' age by the store's clock (a claim made by a host
        whose clock is ahead takes longer to go stale), `TAKEN_WAIT` at most.
        A channel the other process paused, or someone switched off, meanwhile
        is no longer due: its outcome is what became of it."""
        waited = 0.0
        while True:
            taken = {p.due.channel for p in postings if p.outcome == "taken"}
            if not taken:
                return postings
            ages = self.store.tip_claim_ages(date, taken)
            left = max(
                ((STALE_CLAIM - age).total_seconds() for age in ages.values()),
                default=0.0,
            )
            pause = min(TAKEN_POLL.total_seconds(), max(left, 0.0) + 1.0)
            if waited + pause > TAKEN_WAIT.total_seconds():
                return postings
            sleep(pause)
            waited += pause
            again = {p.due.channel: p for p in self.post_date(date, taken)}
            postings = [
                again.get(p.due.channel) or self._no_longer_due(p, date)
                if p.due.channel in taken
                else p
                for p in postings
            ]

    def _no_longer_due(self, posting: Posting, date: dt.date) -> Posting:
        """A tip that was being posted and is due no more: posted, then its
        tips switched off; or its channel was paused (Slack refused it), or
        its tips were switched off before it went out."""
        posted = self.store.claimed_tips({date}, posted_only=True)
        if (posting.due.channel, date) in posted:
            return Posting(posting.due, "already_posted")
        sub = self.store.subscription(posting.due.channel)
        paused = sub is not None and sub.active and sub.paused_reason
        return Posting(posting.due, "paused" if paused else "switched_off")

    def _post_all(self, due: list[Due]) -> list[Posting]:
        if not due:
            return []
        dates = {d.date for d in due}
        claimed = self.store.claimed_tips(dates)
        posted = self.store.claimed_tips(dates, posted_only=True)
        stale = self.store.stale_tip_claims(dates, STALE_CLAIM)
        settled = self.store.settled_tips(dates)
        knowledge = self.library.snapshot().knowledge  # one version for the run
        postings = []
        for d in due:
            key = (d.channel, d.date)
            if key in posted:
                outcome: Delivery = "already_posted"
            elif key in settled:
                outcome = "unknown" if settled[key] == "unknown" else "failed"
            elif key in claimed and key not in stale:
                outcome = "taken"  # another process is posting it right now
            else:
                outcome = self._deliver(d, stale.get(key), knowledge)
            postings.append(Posting(d, outcome))
        return postings

    def _deliver(
        self, due: Due, stale: StaleClaim | None, knowledge: Knowledge
    ) -> Delivery:
        """Post (or settle) one tip; the store failing on the way (locked,
        away) costs that tip, not the others: `store_failed`. Not posted
        twice: without its claim, or with a claim not marked posted, the tip
        is settled like any other stale claim at a later look."""
        try:
            if stale is not None:
                return self._settle_stale(due, stale, knowledge)
            return self._post(due, knowledge)
        except SQLAlchemyError as error:
            log.error("tips.store_failed", channel=due.channel, error=why(error))
            return "store_failed"

    def _settle_stale(
        self, due: Due, claim: StaleClaim, knowledge: Knowledge
    ) -> Delivery:
        """A claim whose process never said whether Slack posted: looked for
        from its first claim (an earlier takeover's look may have failed)."""
        where = {"channel": due.channel, "date": due.date.isoformat()}
        tip_id = self.store.take_over_tip(due.channel, due.date, claim.at)
        if tip_id is None:
            return "taken"  # another process is settling it
        found = self._look(due, claim.since)
        if found in ("unknown", "never"):
            return self._unknown(due, "look_failed", where, found == "never")
        if found == "found":
            self.store.mark_tip_posted(due.channel, due.date)
            log.info("tips.confirmed", **where)
            return "already_posted"
        tips = {tip.id: tip for tip in tip_order(knowledge)}
        if tip_id not in tips:  # gone from the knowledge since: the next one
            self.store.release_tip(due.channel, due.date)
            return self._post(due, knowledge)
        return self._send(due, knowledge, tips[tip_id])

    def _unknown(
        self, due: Due, error: str, where: dict[str, str], never: bool = False
    ) -> Delivery:
        """Slack's answer was lost and the tip can't be found. The claim is
        looked at again once stale; `never` (a look Slack refuses for good,
        say a person's DM the bot can't open) settles it."""
        log.error("tips.unknown", error=error, **where)
        if never:
            self.store.settle_tip(due.channel, due.date, "unknown")
        return "unknown"

    def _look(self, due: Due, since: dt.datetime) -> Seen:
        """Whether the tip is in the channel (a person's: in the app's DM
        with them, opened with `im:write`)."""
        oldest = f"{(since - LOOK_BACK).timestamp():.6f}"
        try:
            where = conversation_of(self.client, due.channel)
            found = find_reply(self.client, where, None, _tag(due), oldest)
        except SlackApiError as error:
            code = slack_error(error)
            log.warning("tips.look_failed", slack_error=code)
            return "unknown" if _passing(error) else "never"
        except (
            SlackClientError,
            OSError,
            http.client.HTTPException,
            UnknownIfPosted,
            KeyError,  # an answer without the DM's id
        ) as error:
            log.warning("tips.look_failed", error=type(error).__name__)
            return "unknown"
        return "found" if found is not None else "absent"

    def _post(self, due: Due, knowledge: Knowledge) -> Delivery:
        tips = {tip.id: tip for tip in tip_order(knowledge)}
        history = [p.tip_id for p in self.store.posted_tips(due.channel)]
        tip_id = next_tip(list(tips), history)
        if tip_id is None:
            log.warning("tips.none", channel=due.channel)
            return "no_tips"
        if not self.store.claim_tip(due.channel, due.date, tip_id):
            return "taken"  # another process got there first
        return self._send(due, knowledge, tips[tip_id])

    def _send(self, due: Due, knowledge: Knowledge, tip: Tip) -> Delivery:
        """Post `tip`, claimed by this caller, and say what became of it."""
        message = blocks.daily_tip(tip, knowledge, _personal(due))
        where = {"channel": due.channel, "date": due.date.isoformat(), "tip": tip.id}
        metadata = tag(_tag(due))
        started = dt.datetime.now(dt.UTC)
        try:
            self.client.chat_postMessage(
                channel=due.channel, metadata=metadata, **message.as_kwargs()
            )
        except SlackApiError as error:
            code = slack_error(error)
            if code in UNCLEAR_ERRORS or error.response.status_code >= 500:
                return self._unclear(due, started, code, where)
            return self._refused(due, code, where)
        except (SlackClientError, OSError, http.client.HTTPException) as error:
            if never_sent(error):  # refused, unknown host, connect timed out
                self.store.release_tip(due.channel, due.date)
                log.warning("tips.retry_later", error=type(error).__name__, **where)
                return "retry"
            return self._unclear(due, started, type(error).__name__, where)
        return self._posted(due, where)

    def _posted(self, due: Due, where: dict[str, str]) -> Delivery:
        self.store.mark_tip_posted(due.channel, due.date)
        self.metrics.tips_posted.inc()
        log.info("tips.posted", **where)
        return "posted"

    def _unclear(
        self, due: Due, started: dt.datetime, error: str, where: dict[str, str]
    ) -> Delivery:
        """The post failed in a way that may come after Slack posted: look."""
        found = self._look(due, started)
        if found == "found":
            return self._posted(due, where)
        if found != "absent":
            return self._unknown(due, error, where, found == "never")
        self.store.release_tip(due.channel, due.date)
        log.warning("tips.retry_later", error=error, **where)
        return "retry"

    def _refused(self, due: Due, code: str, where: dict[str, str]) -> Delivery:
        if code in PAUSE_ERRORS:
            self.store.release_tip(due.channel, due.date)
            self.store.pause(due.channel, code)
            log.warning("tips.paused", slack_error=code, **where)
            return "paused"
        if code in RETRY_ERRORS:
            self.store.release_tip(due.channel, due.date)
            log.warning("tips.retry_later", slack_error=code, **where)
            return "retry"
        log.error("tips.failed", slack_error=code, **where)
        self.store.settle_tip(due.channel, due.date, "failed")
        return "failed"


def _passing(error: SlackApiError) -> bool:
    """Whether Slack refused for the moment: busy, failing or rate limited."""
    status = int(error.response.status_code)
    return slack_error(error) in PASSING_ERRORS or status == 429 or status >= 500


def _personal(due: Due) -> bool:
    """A user id: someone's own tip, in their messages with the bot."""
    return due.channel.startswith(("U", "W"))


def _tag(due: Due) -> str:
    """What a tip's metadata carries: which channel's tip for which date."""
    return f"tip:{due.channel}:{due.date.isoformat()}"


def seed(settings: Settings, store: Store) -> None:
    """Subscribe the channels in STPM_BOT_TIPS_CHANNELS (kept in the store)."""
    at = parse_hhmm(settings.tips_time)
    for channel in store.seed_subscriptions(settings.tips_channels, at):
        log.warning("tips.unconfigured", channel=channel)  # out of the setting
    for sub in store.subscriptions():
        if sub.active and sub.paused_reason:
            log.warning(
                "tips.channel_paused", channel=sub.channel, reason=sub.paused_reason
            )


class Scheduler:
    """Looks for due tips every `interval` seconds on a daemon thread."""

    def __init__(self, poster: TipPoster, interval: float, clock: Clock):
        self.poster = poster
        self.interval = interval
        self.clock = clock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="tips", daemon=True)

    def tick(self) -> list[Posting]:
        try:
            return self.poster.post_due(self.clock.now())
        except Exception:  # a bad look must not stop tomorrow's tips
            log.exception("tips.tick_failed")
            return []

    def start(self) -> Scheduler:
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _loop(self) -> None:
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(surface="tips")
        while not self._stop.is_set():
            self.tick()
            self._stop.wait(self.interval)


def start_scheduler(
    settings: Settings, poster: TipPoster, clock: Clock
) -> Scheduler | None:
    """Seed the configured channels; start looking for due tips unless off."""
    seed(settings, poster.store)
    interval = settings.tips_check_interval
    if not interval:
        return None
    log.info("tips.scheduler_started", interval=interval)
    return Scheduler(poster, interval, clock).start()
