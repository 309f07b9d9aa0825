"""entropi.training package."""
