#!/usr/bin/env python
"""Turn entropi model logs into per-tier SFT and DPO datasets (thin wrapper; see `entropi.data.cli`).

    python scripts/extract_training_data.py --logs .entropi/session_model.log --out data/v1
    python scripts/extract_training_data.py --logs 'runs/*/.entropi/*.log' --out data/v2 --tiers code \
        --eval-fraction 0.2 --replay chat.jsonl --replay-fraction 0.1 --seed 7
"""

import sys

from entropi.data.cli import main

if __name__ == "__main__":
    sys.exit(main())
