"""alertarchive: archive every Alertmanager webhook notification to object storage."""

__version__ = "0.1.0"
