"""One typed settings object, read from the environment and `.env` once."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_KNOWLEDGE_DIR = PROJECT_ROOT / "knowledge"


def default_knowledge_dir() -> Path:
    """The project's knowledge/ in a checkout; ./knowledge for an installed copy."""
    if DEFAULT_KNOWLEDGE_DIR.is_dir():
        return DEFAULT_KNOWLEDGE_DIR
    return Path("knowledge")


class Settings(BaseSettings):
    """Every knob of the bot. Bot settings use the `STPM_BOT_` prefix;
    Slack's own variables keep Slack's usual names."""

    model_config = SettingsConfigDict(
        env_prefix="STPM_BOT_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    knowledge_dir: Path = Field(default_factory=default_knowledge_dir)
    data_dir: Path = Path("data")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default a SQLite file in data_dir.",
    )

    answer_threshold: float = Field(default=44.0, ge=0, le=100)
    suggest_threshold: float = Field(default=30.0, ge=0, le=100)
    answer_margin: float = Field(default=1.0, ge=0, le=100)
    max_suggestions: int = Field(default=3, ge=0, le=10)
    max_question_chars: int = Field(default=500, ge=20, le=10_000)

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

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'stpm-bot.db'}"

    def missing_slack_settings(self) -> list[str]:
        """Names of the variables still needed to connect to Slack."""
        missing = [] if self.slack_bot_token else ["SLACK_BOT_TOKEN"]
        if not self.slack_app_token and not self.slack_signing_secret:
            missing.append("SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET")
        return missing
