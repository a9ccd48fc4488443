"""The alertarchive command: reading, filtering and showing the archive."""
