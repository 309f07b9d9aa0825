"""Evaluation: eval cases, the runner, metrics with confidence intervals, A/B reports, the promotion gate."""
