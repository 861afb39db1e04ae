"""The Slack front end: Bolt listeners, Block Kit, the HTTP and Socket Mode servers."""
