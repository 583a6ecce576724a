"""A bounded in-memory result cache: the data cannot change within a build, so answers can be reused.

Keys hold everything that decides the bytes of an answer (server/job.py Job.key()); values are (header,
body). The budget counts the key's bytes too (a 1 MB query text with a 10-byte answer is a 1 MB entry),
so distinct large queries cannot grow the worker. Least recently used entries go first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any


class ResultCache:
    """LRU by total body size; thread-safe; a size of 0 turns it off."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.max_entry = max_bytes // 4  # one huge answer must not flush everything else
        self._entries: OrderedDict[Hashable, tuple[dict[str, Any], bytes, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> tuple[dict[str, Any], bytes] | None:
        if not self.max_bytes:
            return None
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry[0], entry[1]

    def put(self, key: Hashable, header: dict[str, Any], body: bytes, key_bytes: int = 0) -> None:
        """Keep an answer; `key_bytes` is what the key itself costs (see Job.key_bytes())."""
        cost = len(body) + key_bytes + 100
        if not self.max_bytes or cost > self.max_entry:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old[2]
            self._entries[key] = (header, body, cost)
            self._bytes += cost
            while self._bytes > self.max_bytes:
                _k, (_h, _b, evicted) = self._entries.popitem(last=False)
                self._bytes -= evicted

    def __len__(self) -> int:
        return len(self._entries)
