"""The salted author hash: how the warehouse counts and groups authors without their names.

Validate (quarantined rows) and filter (kept rows) must produce the same hash for the same
author, so the function lives here, below both stages, rather than in one of them.
"""

from __future__ import annotations

import hashlib


def author_hash(author: str | None, salt: str) -> str | None:
    """Salted SHA-256, so authors can be counted and grouped without storing their names."""
    if author is None:
        return None
    return hashlib.sha256(f"{salt}:{author}".encode()).hexdigest()[:32]
