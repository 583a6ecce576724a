"""Peak resident memory of process trees, sampled from /proc in a background thread."""

from __future__ import annotations

import os
import threading
from pathlib import Path

PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


def _parents() -> dict[int, int]:
    """pid -> parent pid for every process we can see."""
    out = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # the command name is in parentheses and may hold spaces: fields resume after the last ')'
        fields = stat[stat.rindex(")") + 2:].split()
        out[int(entry.name)] = int(fields[1])
    return out


def tree(root: int) -> list[int]:
    """`root` and all its descendants."""
    children: dict[int, list[int]] = {}
    for pid, ppid in _parents().items():
        children.setdefault(ppid, []).append(pid)
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, []))
    return found


def pss_kib(pid: int) -> int:
    """Proportional set size: shared pages divided among the processes that map them (0 if unreadable)."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, IndexError, ValueError):
        pass
    return 0


def rss_kib(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_KIB
    except (OSError, IndexError, ValueError):
        return 0


class PeakSampler:
    """Samples the tree RSS (and PSS) of some processes every `interval` seconds and keeps each one's peak, over
    the whole run (`peak`, `peak_pss`) and since the last `mark()` (`window`, e.g. one benchmark cell)."""

    def __init__(self, roots: dict[str, int], interval: float = 0.2) -> None:
        self.roots = roots
        self.interval = interval
        self.peak = {name: 0.0 for name in roots}
        self.peak_pss = {name: 0.0 for name in roots}
        self.window = {name: 0.0 for name in roots}
        self._lock = threading.Lock()
        self.processes = {name: 0 for name in roots}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> dict[str, float]:
        """Resident MiB of each tree now (shared pages count once per process, as `ps` does)."""
        now = {}
        for name, root in self.roots.items():
            pids = tree(root)
            now[name] = sum(rss_kib(p) for p in pids) / 1024
            pss = sum(pss_kib(p) for p in pids) / 1024
            with self._lock:
                self.processes[name] = max(self.processes[name], len(pids))
                self.peak[name] = max(self.peak[name], now[name])
                self.peak_pss[name] = max(self.peak_pss[name], pss)
                self.window[name] = max(self.window[name], now[name])
        return now

    def mark(self) -> dict[str, float]:
        """The peak RSS since the last mark, per tree; starts a new window."""
        with self._lock:
            out, self.window = self.window, {name: 0.0 for name in self.roots}
        return out

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self) -> PeakSampler:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()
