"""stpm-bot: a Slack FAQ bot for Senior Technical Program Managers."""
