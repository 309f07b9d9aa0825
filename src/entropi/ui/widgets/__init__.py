"""One small widget per module; each renders a piece of what the agent reports."""
