"""The use cases: answering a question, replies, the gap report, tip schedule."""
