"""The store's tables, all declared on `metadata`.

A feature that needs another table declares it here; `Store.create_schema`
creates every table on `metadata` on start. A column added to a table that
is already deployed must be nullable or have a `server_default`:
`create_schema` adds it to the existing table, whose rows need a value.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
)

QUESTION_CHARS = 500
SCHEMA_LOCK = 0x57B0_7B07  # any fixed number: the advisory lock for create_schema
# The advisory lock replicas take turns with when deleting old rows: started
# together, their deletes of the same rows deadlocked on PostgreSQL.
PRUNE_LOCK = 0x57B0_7B08

metadata = MetaData()

feedback = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("question", String(QUESTION_CHARS), nullable=False),
    Column("entry_id", String(80), nullable=False, index=True),
    Column("vote", SmallInteger, nullable=False),
    Column("user_hash", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Why a 👎: one of a few choices and, optionally, the person's own words.
feedback_reasons = Table(
    "feedback_reasons",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("question", String(QUESTION_CHARS), nullable=False),
    Column("entry_id", String(80), nullable=False, index=True),
    Column("reason", String(40), nullable=False),
    Column("note", Text, nullable=False),
    Column("user_hash", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

processed_events = Table(
    "processed_events",
    metadata,
    Column("event_key", String(200), primary_key=True),
    Column("claimed_at", DateTime(timezone=True), nullable=False, index=True),
)

# Slack requests acknowledged and not yet fully handled. A row is written
# before Slack gets its 200 and deleted when the work is done; a row whose
# lease ran out (its process died) is taken up again by any replica.
outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_key", String(200), nullable=False, unique=True),
    Column("body", Text, nullable=False),
    Column("headers", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("lease_until", DateTime(timezone=True), nullable=False, index=True),
    Column("owner", String(40), nullable=False, index=True),
    Column("attempts", Integer, nullable=False),
)

# What each answered conversation (a thread, or a DM) is about: the entry last
# answered, the entries "tell me more" has shown since (space-separated), and
# who asked (hashed), so a follow-up is told apart from others' remarks.
thread_topics = Table(
    "thread_topics",
    metadata,
    Column("channel", String(40), primary_key=True),
    Column("thread_ts", String(40), primary_key=True),  # "" for a DM
    Column("entry_id", String(200), nullable=False),
    Column("shown", Text, nullable=False),
    Column("asker_hash", String(64), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Threads people opened with the app in Slack's AI-app side panel: so their
# messages are told from plain DM threads, the context Slack last sent (the
# channel the person is viewing, JSON), and whether the thread has a title.
# `used_at`: when it was opened, or the bot last answered or stored context
# in it (NULL in rows from before the column: `started_at` counts then).
assistant_threads = Table(
    "assistant_threads",
    metadata,
    Column("channel", String(40), primary_key=True),
    Column("thread_ts", String(40), primary_key=True),
    Column("user_hash", String(64), nullable=False),
    Column("context", Text, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False, index=True),
    Column("titled_at", DateTime(timezone=True), nullable=True),
    Column("used_at", DateTime(timezone=True), nullable=True),
)

# The store's own settings: the key user ids are hashed with.
store_meta = Table(
    "store_meta",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("value", Text, nullable=False),
)

# Help channels: where the bot answers top-level questions without a mention.
autoanswer_channels = Table(
    "autoanswer_channels",
    metadata,
    Column("channel", String(40), primary_key=True),
    Column("enabled", Boolean, nullable=False),
    Column("changed_by_hash", String(64), nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
)

# Daily tips: one row per channel. `active` is what the channel asked for;
# `paused_reason` is set when Slack refused a post (not_in_channel, ...).
tip_subscriptions = Table(
    "tip_subscriptions",
    metadata,
    Column("channel", String(40), primary_key=True),
    Column("post_time", String(5), nullable=False),  # HH:MM, local time
    Column("active", Boolean, nullable=False),
    Column("paused_reason", String(80), nullable=True),
    Column("source", String(16), nullable=False),  # "settings" or "slack"
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# The primary key is the claim: whoever inserts (channel, date) first posts.
posted_tips = Table(
    "posted_tips",
    metadata,
    Column("channel", String(40), primary_key=True),
    Column("local_date", Date, primary_key=True),
    Column("tip_id", String(80), nullable=False),
    Column("claimed_at", DateTime(timezone=True), nullable=False),
    Column("posted_at", DateTime(timezone=True), nullable=True),
    # When the tip was first claimed (`claimed_at` moves with each takeover
    # of a stale claim): a look for the post starts there. Empty in rows of
    # earlier versions, which look from `claimed_at`.
    Column("first_claimed_at", DateTime(timezone=True), nullable=True),
)

# Tips whose fate was decided without a post: Slack refused them for good
# (`failed`) or it can't be known whether they went out (`unknown`). Their
# claims stay, and are not settled again at every look.
settled_tips = Table(
    "settled_tips",
    metadata,
    Column("channel", String(40), primary_key=True),
    Column("local_date", Date, primary_key=True),
    Column("outcome", String(20), nullable=False),
    Column("settled_at", DateTime(timezone=True), nullable=False),
)

# Every question the bot answered, suggested for or could not answer: the
# denominators of the report's rates. No text and no user here.
questions = Table(
    "questions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("asked_at", DateTime(timezone=True), nullable=False, index=True),
    Column("status", String(16), nullable=False),
    Column("entry_id", String(80), nullable=True),
    Column("score", Float, nullable=False),
)

# The knowledge gaps: questions without a confident answer, and 👎 answers.
unanswered = Table(
    "unanswered",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("question", String(QUESTION_CHARS), nullable=False),
    Column("candidates", Text, nullable=False),  # JSON [{"id", "score"}], best first
    Column("entry_id", String(80), nullable=True),  # the 👎 entry, or the best
    Column("source", String(16), nullable=False),  # GAP_SOURCES
    Column("user_hash", String(64), nullable=True),  # None: the terminal
    Column("asked_at", DateTime(timezone=True), nullable=False, index=True),
)

GAP_SOURCES = ("no_match", "suggested", "downvote")

# Questions passed to the experts. While one is pending, `pending_key` holds
# the asker's hash: its uniqueness is the one-pending-question-per-person
# rule, across replicas (NULLs never clash). `asker` (the Slack id, needed to
# relay an expert's reply by DM) is kept only until the question is answered.
# `replied_at` set once is the claim on relaying the first expert reply.
expert_questions = Table(
    "expert_questions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("question", String(QUESTION_CHARS), nullable=False),
    Column("entry_id", String(80), nullable=False),  # the 👎 answer, or ""
    Column("pending_key", String(64), nullable=True, unique=True),
    Column("asker", String(40), nullable=True),
    Column("channel", String(40), nullable=False),  # where it was asked, or ""
    Column("thread_ts", String(40), nullable=False),  # its thread, or ""
    Column("post_channel", String(40), nullable=False),
    Column("post_ts", String(40), nullable=False, index=True),  # "" until posted
    Column("status", String(16), nullable=False),  # "pending" or "answered"
    Column("reply", Text, nullable=True),  # the first expert reply, relayed
    Column("replied_at", DateTime(timezone=True), nullable=True),
    Column("answered_by", String(40), nullable=True),  # the expert, shown openly
    Column("asked_at", DateTime(timezone=True), nullable=False, index=True),
    Column("answered_at", DateTime(timezone=True), nullable=True),
)

# What curators taught in Slack, until `stpm-bot knowledge apply` writes it
# into the knowledge files. `kind`: "phrasing" (the question under an existing
# entry) or "entry" (a new entry). Curators act openly: `taught_by` is their
# Slack id.
knowledge_changes = Table(
    "knowledge_changes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("entry_id", String(80), nullable=False),
    Column("title", String(150), nullable=True),
    Column("answer", Text, nullable=True),
    Column("question", String(QUESTION_CHARS), nullable=False),
    Column("taught_by", String(40), nullable=False),
    Column("taught_at", DateTime(timezone=True), nullable=False),
    Column("status", String(16), nullable=False, index=True),  # pending, applied
    Column("applied_at", DateTime(timezone=True), nullable=True),
)
