"""Lifeline: an insurer's independent line to its members when its own IT is down."""

__version__ = "0.2.0"
