"""Text shared by every layer: normalizing words, Slack markup in and out."""
