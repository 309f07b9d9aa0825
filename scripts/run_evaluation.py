#!/usr/bin/env python
"""Evaluate tiers and adapters on eval cases (thin wrapper; see `entropi.evaluation.cli`).

python scripts/run_evaluation.py --tier thinking --adapter current
python scripts/run_evaluation.py --tier code --compare base current --out .entropi/eval/ab
python scripts/run_evaluation.py --tasks --bfcl ../shared/eval/bfcl --bfcl-limit 20 --compare none current
"""

import sys

from entropi.evaluation.cli import main

if __name__ == "__main__":
    sys.exit(main())
