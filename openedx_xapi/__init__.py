"""openedx-xapi: Open edX learner events, delivered in real time as xAPI and Caliper 1.2."""

__version__ = "0.1.0"
