"""Shared test setup: keep every test away from the user's real home config and hash cache."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("ENTROPI_CACHE_DIR", tempfile.mkdtemp(prefix="entropi-test-cache-"))
for _key in [k for k in os.environ if k.startswith("ENTROPI_") and "__" in k]:
    del os.environ[_key]
