"""What the bot remembers, in SQLite or PostgreSQL."""
