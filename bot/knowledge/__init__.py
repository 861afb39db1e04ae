"""The curated knowledge: models, loading and validation, reload, ingest."""
