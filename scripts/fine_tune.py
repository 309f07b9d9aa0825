#!/usr/bin/env python
"""Train a tier's LoRA (SFT, then DPO), export it as a GGUF LoRA and register it (docs/training.md).

Thin wrapper over `entropi.training.cli`; the adapter lands in `<out>/<tier>/<version>/` (adapter.gguf, peft/,
manifest.json, report.md, loss.png) and prints that folder.

    # CPU, the embedded SmolLM2 model, a few steps (what CI runs)
    python scripts/fine_tune.py --tier code --data data/v1 --max-steps 20
    # SFT only, then make it the code tier's current adapter (the runtime picks up lora_adapters/code/current)
    python scripts/fine_tune.py --tier code --data data/v1 --stages sft --promote
    # QLoRA on a 24 GB GPU (unsloth), Qwen3-8B from the Hub, pinned to the GGUF the runtime runs
    python scripts/fine_tune.py --tier thinking --data data/v1 --base Qwen/Qwen3-8B --backend unsloth \
        --config train.yaml          # train.yaml: base_gguf: models/Qwen3-8B-Q4_K_M.gguf
    # continue an interrupted run from its last checkpoint
    python scripts/fine_tune.py --tier thinking --data data/v1 --resume
    # several processes with the trl backend: GPUs via accelerate, CPU processes (gloo) via torchrun
    accelerate launch --num_processes 2 scripts/fine_tune.py --tier code --data data/v1 --backend trl
    torchrun --nproc_per_node 2 scripts/fine_tune.py --tier code --data data/v1 --backend trl
"""

import sys

from entropi.training.cli import main

if __name__ == "__main__":
    sys.exit(main())
