"""A small in-process cache of figures read from the whole event log (the tower's time in
stage), kept per Store. A figure is stored under a key that holds what it depends on
(for the time in stage: the region, the window, and the id of the latest move of any
project), so a hit is exactly what computing it again would give; after any move the
key changes and the figure is computed afresh."""
from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any


class FigureCache:
    """``copies``: hand out deep copies (callers may change what they get); off for values
    their readers treat as read-only (the board's cards), where copying would cost what
    the cache saves."""

    def __init__(self, size: int = 64, copies: bool = True) -> None:
        self.size = size
        self.copies = copies
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The value under ``key``, computed (outside the lock) when missing; a copy, so
        callers may change what they get."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                self.hits += 1
                hit = self._items[key]
                return copy.deepcopy(hit) if self.copies else hit
            self.misses += 1
        value = compute()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return copy.deepcopy(value) if self.copies else value
