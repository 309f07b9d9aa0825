"""Training data: model logs → labelled, redacted, deduplicated per-tier SFT and DPO datasets."""
