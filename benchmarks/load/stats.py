"""Latency figures and the machine's load while a test runs (延迟统计与机器负载采样)."""

import asyncio
import math
import os
import time
from pathlib import Path


def percentile(ordered: list[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not ordered:
        return float("nan")
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def latency_ms(seconds: list[float]) -> dict:
    ordered = sorted(s * 1000 for s in seconds)
    if not ordered:
        return {"n": 0}
    return {"n": len(ordered), "p50": percentile(ordered, 50), "p95": percentile(ordered, 95),
            "p99": percentile(ordered, 99), "max": ordered[-1], "mean": sum(ordered) / len(ordered)}


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return ""


class LoadSampler:
    """Every `every` seconds: CPU % (of one core) of the portal's master and workers, Redis, the
    PostgreSQL backends serving the workers, this process (the simulated users), everything else
    on the machine, and the whole machine (% of all cores); memory of the workers."""

    def __init__(self, server=None, redis_pid: int | None = None, every: float = 2.0):
        import psutil

        self.psutil = psutil
        self.server = server
        self.redis_pid = redis_pid
        self.every = every
        self.samples: list[dict] = []
        self._procs: dict[int, object] = {}

    def _proc(self, pid: int):
        p = self._procs.get(pid)
        if p is None:
            p = self._procs[pid] = self.psutil.Process(pid)
            p.cpu_percent(None)  # the first reading only primes it
        return p

    def _cpu(self, pids: list[int]) -> float:
        total = 0.0
        for pid in pids:
            try:
                total += self._proc(pid).cpu_percent(None)
            except self.psutil.Error:
                self._procs.pop(pid, None)
        return total

    def _rss_mb(self, pids: list[int]) -> float:
        total = 0
        for pid in pids:
            try:
                total += self._proc(pid).memory_info().rss
            except self.psutil.Error:
                pass
        return total / 2**20

    def _postgres_pids(self, workers: list[int]) -> list[int]:
        """The PostgreSQL backends serving the portal's workers (found by their TCP ports)."""
        ports = set()
        for pid in workers:
            try:
                ports |= {c.laddr.port for c in self._proc(pid).net_connections("tcp")
                          if c.raddr and c.raddr.port == 5432}
            except self.psutil.Error:
                continue
        try:
            return sorted({c.pid for c in self.psutil.net_connections("tcp") if c.pid and c.laddr.port == 5432
                           and c.raddr and c.raddr.port in ports})
        except self.psutil.Error:
            return []

    def sample(self) -> dict:
        workers = self.server.worker_pids() if self.server else []
        master = [self.server.master_pid] if self.server else []
        s = {
            "t": time.time(),
            "machine_cpu": self.psutil.cpu_percent(None),
            "workers_cpu": self._cpu(workers),
            "master_cpu": self._cpu(master),
            "workers_rss_mb": self._rss_mb(workers),
            "workers": len(workers),
            "redis_cpu": self._cpu([self.redis_pid]) if self.redis_pid else None,
            "postgres_cpu": self._cpu(self._postgres_pids(workers)),
            "clients_cpu": self._cpu([os.getpid()]),
            "loadavg": loadavg(),
        }
        ours = sum(s[k] or 0 for k in ("workers_cpu", "master_cpu", "redis_cpu", "postgres_cpu", "clients_cpu"))
        # whatever else runs on the machine, in % of one core like the others
        s["other_cpu"] = max(0.0, s["machine_cpu"] * (os.cpu_count() or 1) - ours)
        self.samples.append(s)
        return s

    async def run(self) -> None:
        self.psutil.cpu_percent(None)
        self.sample()
        self.samples.clear()  # the priming readings are meaningless
        while True:
            await asyncio.sleep(self.every)
            self.sample()

    def summary(self) -> dict:
        out: dict = {"samples": len(self.samples), "every_seconds": self.every, "cores": os.cpu_count()}
        for key in ("machine_cpu", "workers_cpu", "master_cpu", "redis_cpu", "postgres_cpu", "clients_cpu",
                    "other_cpu", "workers_rss_mb"):
            values = [s[key] for s in self.samples if s.get(key) is not None]
            if values:
                out[key] = {"mean": round(sum(values) / len(values), 1), "max": round(max(values), 1)}
        out["workers_seen"] = sorted({s["workers"] for s in self.samples})
        loads = [float(x["loadavg"].split()[0]) for x in self.samples if x.get("loadavg")]
        if loads:
            out["loadavg_1min"] = {"mean": round(sum(loads) / len(loads), 2), "max": max(loads)}
        out["loadavg_at_end"] = loadavg()
        return out
