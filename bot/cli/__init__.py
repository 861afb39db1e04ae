"""The terminal front end: commands, the chat, rendering replies as text."""
