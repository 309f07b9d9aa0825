"""entropi.commands package."""
