"""The archive format both sides share: object names, receipt records, storage.

Imports nothing above it (tests/test_layers.py).
"""
