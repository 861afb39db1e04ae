"""The commands an operator runs from cron or a Kubernetes CronJob:
`stpm-bot post-tips` and `stpm-bot report`.

Both talk to Slack only through `bot.slack`, imported when needed, so the
report works without Slack credentials when it only prints.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from argparse import Namespace
from collections import Counter

from sqlalchemy.exc import SQLAlchemyError

from bot.answers import gaps as gap_report
from bot.answers.schedule import Policy
from bot.compose import Core
from bot.store.database import Store
from bot.store.engine import shown, why
from bot.text.markup import printable

EX_USAGE = 2
DIGEST_DAYS = 7
SAID = {
    "posted": "posted",
    "already_posted": "already posted",
    "taken": "being posted by another process",
    "paused": "paused (Slack refused the channel; see the log)",
    "retry": "refused for now (run again to retry)",
    "failed": "not posted (see the log)",
    "unknown": "not known to be posted (Slack's answer was lost; see the log)",
    "no_tips": "not posted (the knowledge has no tips)",
    "store_failed": "not known to be posted (the database failed; see the log)",
    "switched_off": "switched off meanwhile",
}


# Outcomes that make `post-tips` exit 1: a tip not known to be posted (a
# paused channel's too: its tip could not be posted).
NOT_POSTED = frozenset(
    {"retry", "failed", "unknown", "no_tips", "paused", "taken", "store_failed"}
)


def _usage(message: str) -> int:
    print(f"stpm-bot: {message}", file=sys.stderr)
    return EX_USAGE


class Unreachable(Exception):
    """The store can't be opened; `str()` is the one line for the operator."""


def _store(core: Core) -> Store:
    try:
        core.store.create_schema()
    except (SQLAlchemyError, OSError) as error:
        raise Unreachable(
            f"cannot reach the database {shown(core.settings.resolved_database_url)}"
            f" ({why(error)}); check {core.settings.database_setting}"
        ) from None
    return core.store


def slack_problem(core: Core) -> str | None:
    """Why Slack can't be used with these settings (a token it refuses, no
    answer from `SLACK_API_BASE_URL`), or None."""
    from bot.slack import preflight

    try:
        preflight.check(core.settings, core.metrics)
    except preflight.SlackUnusable as problem:
        return str(problem)
    return None


def post_tips(core: Core, args: Namespace) -> int:
    """`_post_tips`, with an unreachable store as one line, exit 2."""
    try:
        return _post_tips(core, args)
    except Unreachable as problem:
        return _usage(str(problem))
    except SQLAlchemyError as error:  # away since it was opened
        return _usage(_store_failed(core, error))


def _store_failed(core: Core, error: SQLAlchemyError) -> str:
    return (
        f"the database failed ({why(error)}); check "
        f"{core.settings.database_setting}, then run this again"
    )


def report(core: Core, args: Namespace) -> int:
    """`_report`, with an unreachable store as one line, exit 2."""
    try:
        return _report(core, args)
    except Unreachable as problem:
        return _usage(str(problem))
    except SQLAlchemyError as error:  # away since it was opened
        return _usage(_store_failed(core, error))
    except OverflowError:  # a --since the time zone can't shift (0001-01-01)
        return _usage(f"--since {args.since} is too far back; give a later date")


def _post_tips(core: Core, args: Namespace) -> int:
    """Post every subscribed channel's tip for the date once; exit 1 if any
    is not known to be posted (a retried Job then tries those again)."""
    settings = core.settings
    if settings.slack_bot_token is None:
        return _usage("post-tips needs SLACK_BOT_TOKEN")
    from bot.slack import tip_poster
    from bot.slack.client import web_client

    store = _store(core)
    problem = slack_problem(core)
    if problem:
        return _usage(problem)
    tip_poster.seed(settings, store)
    policy = Policy.from_settings(settings)
    date: dt.date = args.date or core.clock.today()
    if not policy.posting_day(date):
        print(f"Tips for {date.isoformat()}: none at weekends (STPM_BOT_TIPS_WEEKENDS)")
        return 0
    client = web_client(settings, core.metrics, tips=True)
    poster = tip_poster.TipPoster(core.library, store, client, policy, core.metrics)
    postings = poster.post_date(date)
    taken = sum(p.outcome == "taken" for p in postings)
    if taken:
        print(
            f"Tips for {date.isoformat()}: {taken} being posted by another "
            "process; waiting for it (until its claim is 2 minutes old)",
            file=sys.stderr,
            flush=True,
        )
        postings = poster.finish_taken(date, postings)
    outcomes = Counter(p.outcome for p in postings)
    summary = ", ".join(f"{n} {SAID[o]}" for o, n in sorted(outcomes.items()))
    shown = {p.due.channel for p in postings}
    paused = sum(
        1
        for sub in store.subscriptions()
        if sub.active and sub.paused_reason and sub.channel not in shown
    )
    still = f"{paused} still paused (see `/stpm tips` there)" if paused else ""
    said = ", ".join(x for x in (summary, still) if x) or "no channel subscribed"
    print(f"Tips for {date.isoformat()}: {said}")
    return 1 if outcomes.keys() & NOT_POSTED else 0


def _report(core: Core, args: Namespace) -> int:
    """Print the knowledge-gap report; `--post` sends it to the curators."""
    settings = core.settings
    if args.post and not (settings.curators_channel and settings.slack_bot_token):
        return _usage(
            "report --post needs STPM_BOT_CURATORS_CHANNEL and SLACK_BOT_TOKEN"
        )
    since: dt.date | None = args.since
    if since is None and args.post:
        since = core.clock.today() - dt.timedelta(DIGEST_DAYS)
    problem = slack_problem(core) if args.post else None
    if problem:
        return _usage(problem)
    knowledge = core.library.snapshot().knowledge
    data = gap_report.build(_store(core), knowledge, since, core.clock.zone)
    if args.json:
        print(json.dumps(gap_report.as_json(data), ensure_ascii=False), flush=True)
    else:
        print("\n".join(gap_report.lines(data, quote=printable)))
    if args.post:
        return _post_digest(core, data)
    return 0


def _post_digest(core: Core, data: gap_report.GapReport) -> int:
    from slack_sdk.errors import SlackApiError

    from bot.slack import digest
    from bot.slack.client import web_client
    from bot.slack.posting import UnknownIfPosted, unclear

    settings = core.settings
    try:
        digest.post(web_client(settings, core.metrics), settings.curators_channel, data)
    except (SlackApiError, UnknownIfPosted, OSError) as error:
        if isinstance(error, SlackApiError) and not unclear(error):
            code = error.response.get("error")
            print(f"stpm-bot: Slack refused the digest: {code}", file=sys.stderr)
            return 1
        # A reset, a timeout or a 5xx may have come after Slack posted it.
        said = (
            error.response.get("error") or error.response.status_code
            if isinstance(error, SlackApiError)
            else type(error).__name__
        )
        print(
            f"stpm-bot: the digest may not have been posted to "
            f"{settings.curators_channel} ({said}); look there "
            "before running this again.",
            file=sys.stderr,
        )
        return 1
    print(f"Posted the digest to {settings.curators_channel}.", file=sys.stderr)
    return 0
