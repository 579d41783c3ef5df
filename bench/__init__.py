"""Benchmarks of recoverycore against a bare eventsourcing application (``make bench``).

See :mod:`bench.__main__` for what is measured and how to read the figures.
"""
