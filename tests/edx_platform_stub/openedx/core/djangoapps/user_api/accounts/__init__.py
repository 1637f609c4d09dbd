"""A stand-in for edx-platform's package of the same name (tests only)."""
