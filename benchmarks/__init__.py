"""Benchmarks of openedx-xapi (``make bench``)."""
