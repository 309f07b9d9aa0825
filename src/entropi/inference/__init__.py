"""entropi.inference package."""
