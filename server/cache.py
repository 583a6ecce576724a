"""A bounded in-memory result cache: the data cannot change within a build, so answers can be reused.

Keys hold everything that decides the bytes of an answer (build id, query text, dataset, format, row
limit); values are (header, body). Least recently used entries go first once `max_bytes` is reached.
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
        self._entries: OrderedDict[Hashable, tuple[dict[str, Any], bytes]] = OrderedDict()
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
            return entry

    def put(self, key: Hashable, header: dict[str, Any], body: bytes) -> None:
        if not self.max_bytes or len(body) > self.max_entry:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= len(old[1])
            self._entries[key] = (header, body)
            self._bytes += len(body)
            while self._bytes > self.max_bytes:
                _k, (_h, evicted) = self._entries.popitem(last=False)
                self._bytes -= len(evicted)

    def __len__(self) -> int:
        return len(self._entries)
