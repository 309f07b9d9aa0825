"""entropi: a local coding agent that gets better from its own use."""

__version__ = "0.1.0"
