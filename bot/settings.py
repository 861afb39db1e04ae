"""One typed settings object, read from the environment and `.env` once."""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
import zoneinfo
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticUseDefault
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_KNOWLEDGE_DIR = PROJECT_ROOT / "knowledge"
DEFAULT_MODEL_DIR = PROJECT_ROOT / "deploy" / "model"


_HHMM = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")
_CHANNEL_ID = re.compile(r"[A-Z0-9]{2,40}")
_USERGROUP_ID = re.compile(r"S[A-Z0-9]{2,39}")
_UTC_NAMES = frozenset({"UTC", "Etc/UTC", "Etc/Universal", "Universal", "Zulu"})


def parse_hhmm(text: str) -> dt.time:
    """`"9:05"` or `"09:05"` as a time; raises `ValueError` for anything else."""
    match = _HHMM.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a time of day; use HH:MM, e.g. 09:00")
    return dt.time(int(match[1]), int(match[2]))


def zone_named(name: str) -> dt.tzinfo:
    """The IANA zone `name`; UTC needs no time zone database in the image."""
    if name in _UTC_NAMES:
        return dt.UTC
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(
            f"{name!r} is not an IANA time zone, e.g. Europe/Berlin or UTC"
        ) from None


def default_knowledge_dir() -> Path:
    """The project's knowledge/ in a checkout; ./knowledge for an installed copy."""
    if DEFAULT_KNOWLEDGE_DIR.is_dir():
        return DEFAULT_KNOWLEDGE_DIR
    return Path("knowledge")


NO_HOME_DATA_DIR = Path("/var/lib/stpm-bot")


def default_data_dir() -> Path:
    """`$XDG_STATE_HOME/stpm-bot`, else `~/.local/state/stpm-bot`: the same
    folder wherever the bot is started from (the XDG base directory rules:
    a relative `XDG_STATE_HOME` is ignored). The image sets its own."""
    state = os.environ.get("XDG_STATE_HOME", "")
    if state and Path(state).is_absolute():
        return Path(state) / "stpm-bot"
    try:
        return Path.home() / ".local" / "state" / "stpm-bot"
    except RuntimeError:  # no HOME and no password entry for this user
        return NO_HOME_DATA_DIR


def default_model_dir() -> Path:
    """The project's deploy/model/ in a checkout or the image; else ./deploy/model."""
    if DEFAULT_MODEL_DIR.is_dir():
        return DEFAULT_MODEL_DIR
    return Path("deploy/model")


class Settings(BaseSettings):
    """Every knob of the bot. Bot settings use the `STPM_BOT_` prefix;
    Slack's own variables keep Slack's usual names."""

    model_config = SettingsConfigDict(
        env_prefix="STPM_BOT_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        # "nan" is a float to Python, never a threshold or a number of seconds.
        allow_inf_nan=False,
    )

    knowledge_dir: Path = Field(default_factory=default_knowledge_dir)
    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="The store's SQLite file and the embedding cache; default "
        "$XDG_STATE_HOME/stpm-bot or ~/.local/state/stpm-bot.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default a SQLite file in data_dir.",
    )

    semantic: bool = Field(
        default=True,
        description="Match by meaning with the sentence model as well as by "
        "words; false: lexical only.",
    )
    model_dir: Path = Field(
        default_factory=default_model_dir,
        description="The sentence model: model.onnx, tokenizer.json and their "
        "model.sha256.",
    )
    model_threads: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Threads the sentence model uses for one text.",
    )
    embed_workers: int = Field(
        default=0,
        ge=0,
        le=64,
        description="Texts embedded at once when many are new (start-up, a big "
        "reload); 0: one per available core (at most 4).",
    )
    embedding_cache_dir: Path | None = Field(
        default=None,
        description="Where the knowledge's vectors are kept between starts; "
        "default data_dir/embeddings.",
    )
    answer_threshold: float | None = Field(
        default=None,
        ge=0,
        le=100,
        description="Score (0-100) an answer needs; default 60 with semantic "
        "matching, 44 lexical only.",
    )
    suggest_threshold: float | None = Field(
        default=None,
        ge=0,
        le=100,
        description='Score "did you mean" needs; default 50, or 30 lexical only.',
    )
    answer_margin: float | None = Field(
        default=None,
        ge=0,
        le=100,
        description="How far the answer must lead an unrelated runner-up; "
        "default 0 with semantic matching, 1 lexical only.",
    )
    max_suggestions: int = Field(default=3, ge=1, le=10)
    max_question_chars: int = Field(default=500, ge=20, le=10_000)
    index_workers: int = Field(
        default=0,
        ge=0,
        le=64,
        description="Processes building the index of a knowledge of 20,000 "
        "entries or more; 0: one per available core (at most 4), 1: this "
        "process only.",
    )

    question_retention_days: int = Field(
        default=90,
        ge=1,
        le=36_500,
        description="Days what people typed (unanswered questions, votes, 👎 "
        "reasons), side-panel threads and quiet conversations' topics are "
        "kept; question counts, which hold no text, stay.",
    )
    shutdown_grace_seconds: float = Field(
        default=25.0,
        gt=0,
        le=3600,
        description="Seconds the bot may take to finish acknowledged work after "
        "SIGTERM; a request that would wait longer gets 503 so Slack retries it.",
    )
    outbox_lease_seconds: float = Field(
        default=30.0,
        ge=1,
        le=3600,
        description="Seconds after which another process (or this one, "
        "restarted) takes up acknowledged work of a process that died.",
    )
    user_hash_key: SecretStr | None = Field(
        default=None,
        description="Key of the HMAC the store keeps Slack user ids as; unset: "
        "a random key made once and kept in the store.",
    )
    human_contact: str = Field(
        default="",
        description="Where to ask a person when the bot does not know, "
        "e.g. '#stpm-guild'. Empty: not mentioned.",
    )

    reload_interval: float = Field(
        default=2.0,
        ge=0,
        le=3600,
        description="Seconds between looks at the knowledge files; 0: no reload.",
    )

    tips_channels: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        description="Channel ids (comma-separated) subscribed to the daily tip "
        "on start, e.g. C0123456789,C0987654321.",
    )
    tips_time: str = Field(default="09:00", description="HH:MM, local time.")
    timezone: str = Field(default="UTC", description="IANA name, e.g. Europe/Berlin.")
    tips_weekends: bool = False
    tips_grace_minutes: int = Field(
        default=120,
        ge=1,
        le=24 * 60,
        description="How late a missed tip may still be posted after downtime.",
    )
    tips_check_interval: float = Field(
        default=30.0,
        ge=0,
        le=3600,
        description="Seconds between the scheduler's looks for due tips while "
        "`stpm-bot run` serves Slack; 0: no in-process scheduler (use post-tips).",
    )
    curators_channel: str = Field(
        default="",
        description="Channel id for `stpm-bot report --post`; its members are "
        "curators (they may teach the bot in Slack).",
    )
    curators_usergroup: str = Field(
        default="",
        description="User group id (S0123456789) whose members are curators too.",
    )
    experts_channel: str = Field(
        default="", description="Channel id 'Ask an expert' posts to; empty: off."
    )

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["auto", "console", "json"] = "auto"

    host: str = "0.0.0.0"
    # Only PORT: Kubernetes sets STPM_BOT_PORT=tcp://… for a Service named
    # stpm-bot, which must not be mistaken for this setting.
    port: int = Field(default=3000, ge=1, le=65535, validation_alias="PORT")

    slack_bot_token: SecretStr | None = Field(
        default=None, validation_alias="SLACK_BOT_TOKEN"
    )
    slack_signing_secret: SecretStr | None = Field(
        default=None, validation_alias="SLACK_SIGNING_SECRET"
    )
    slack_app_token: SecretStr | None = Field(
        default=None, validation_alias="SLACK_APP_TOKEN"
    )
    slack_api_base_url: str = Field(
        default="https://slack.com/api/", validation_alias="SLACK_API_BASE_URL"
    )

    @field_validator("tips_channels", mode="before")
    @classmethod
    def _split_channels(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list | tuple):
            bad = [c for c in value if not _CHANNEL_ID.fullmatch(str(c))]
            if bad:
                raise ValueError(f"not channel ids (like C0123456789): {bad}")
        return value

    @field_validator(
        "knowledge_dir", "data_dir", "model_dir", "embedding_cache_dir", mode="before"
    )
    @classmethod
    def _empty_path_is_the_default(cls, value: object) -> object:
        # `STPM_BOT_DATA_DIR=` (an empty line in .env) is the default folder,
        # not the one the bot happens to start in. (Other empty values keep
        # their meaning: `SLACK_APP_TOKEN=` is no app token.)
        if isinstance(value, str) and not value.strip():
            raise PydanticUseDefault()
        return value

    @field_validator("slack_api_base_url")
    @classmethod
    def _web_api_url(cls, value: str) -> str:
        value = value.strip()
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 (a port that isn't a number raises here)
        except ValueError as error:
            raise ValueError(f"not a URL ({error})") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("expected an http(s) URL like https://slack.com/api/")
        if parts.query or parts.fragment:
            raise ValueError("the Web API's methods are added to it: no ?query or #")
        return value if value.endswith("/") else f"{value}/"

    @field_validator("log_level", mode="before")
    @classmethod
    def _level_in_any_case(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("tips_time")
    @classmethod
    def _valid_time(cls, value: str) -> str:
        return parse_hhmm(value).strftime("%H:%M")

    @field_validator("timezone")
    @classmethod
    def _valid_zone(cls, value: str) -> str:
        zone_named(value)
        return value

    @field_validator("curators_channel", "experts_channel")
    @classmethod
    def _channel_or_empty(cls, value: str) -> str:
        value = value.strip()
        if value and not _CHANNEL_ID.fullmatch(value):
            raise ValueError(f"{value!r} is not a channel id like C0123456789")
        return value

    @field_validator("curators_usergroup")
    @classmethod
    def _usergroup_or_empty(cls, value: str) -> str:
        value = value.strip()
        if value and not _USERGROUP_ID.fullmatch(value):
            raise ValueError(f"{value!r} is not a user group id like S0123456789")
        return value

    @field_validator("tips_check_interval")
    @classmethod
    def _a_look_within_the_grace(cls, value: float, info: ValidationInfo) -> float:
        grace = info.data.get("tips_grace_minutes")
        if isinstance(grace, int) and value > grace * 60:
            raise ValueError(
                f"looking every {value:g} s could miss tips due for only "
                f"STPM_BOT_TIPS_GRACE_MINUTES={grace} minutes"
            )
        return value

    @model_validator(mode="after")
    def _suggest_below_answer(self) -> Settings:
        """Both thresholds given: a match good enough to answer must not be
        too weak to suggest. (With one given, the other is the default of the
        score in use, known only once the model has loaded or not:
        `compose.retriever_config` checks that pair.)"""
        answer, suggest = self.answer_threshold, self.suggest_threshold
        if answer is None or suggest is None:
            return self
        if suggest > answer:
            raise ValueError(
                f"STPM_BOT_SUGGEST_THRESHOLD={suggest:g} must not exceed "
                f"STPM_BOT_ANSWER_THRESHOLD={answer:g}: a match good enough to "
                "answer would be too weak to suggest"
            )
        return self

    @property
    def zone(self) -> dt.tzinfo:
        return zone_named(self.timezone)

    @property
    def resolved_embedding_cache_dir(self) -> Path:
        return self.embedding_cache_dir or self.data_dir / "embeddings"

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'stpm-bot.db'}"

    @property
    def database_setting(self) -> str:
        """The variable that says where the store is."""
        return "STPM_BOT_DATABASE_URL" if self.database_url else "STPM_BOT_DATA_DIR"

    def missing_slack_settings(self) -> list[str]:
        """Names of the variables still needed to connect to Slack."""
        missing = [] if self.slack_bot_token else ["SLACK_BOT_TOKEN"]
        if not self.slack_app_token and not self.slack_signing_secret:
            missing.append("SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET")
        return missing


# Names the environment may hold that are not settings of this model: the
# test suite's database, and what Kubernetes sets for a Service named stpm-bot.
FOREIGN_NAMES = frozenset({"STPM_BOT_TEST_DATABASE_URL"})
_SERVICE_LINK = re.compile(r"STPM_BOT_(SERVICE_|PORT)")


def setting_names() -> frozenset[str]:
    """Every variable name a setting is read from."""
    names = set()
    for field, info in Settings.model_fields.items():
        alias = info.validation_alias
        names.add(alias if isinstance(alias, str) else f"STPM_BOT_{field.upper()}")
    return frozenset(names)


def unknown_settings(environ: Mapping[str, str]) -> list[str]:
    """One line for each `STPM_BOT_*` variable that is no setting (a typo is
    otherwise silently ignored), with the closest real name."""
    known = setting_names()
    lines = []
    for name in sorted(environ):
        said = name.upper()  # the settings are read whatever the case
        if not said.startswith("STPM_BOT_") or said in known or said in FOREIGN_NAMES:
            continue
        if _SERVICE_LINK.match(said):
            continue
        close = difflib.get_close_matches(said, sorted(known), n=1, cutoff=0.75)
        hint = f"; did you mean {close[0]}?" if close else ""
        lines.append(f"stpm-bot: {name} is not a setting and is ignored{hint}")
    return lines


# What a helper process (an index worker, the knowledge check on reload) must
# not inherit: the bot's settings, Slack's tokens, the database's URL and
# libpq's password, and anything else named like a secret.
_NOT_FOR_WORKERS = re.compile(
    r"(STPM_BOT_|SLACK_|PG).*|.*(TOKEN|SECRET|PASSWORD|PASSWD|_KEY|DATABASE_URL).*"
)


def worker_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """`environ` as a helper process gets it: only what runs Python (PATH,
    HOME, locale, PYTHON*), never a credential."""
    return {
        name: value
        for name, value in environ.items()
        if not _NOT_FOR_WORKERS.fullmatch(name.upper())
    }
