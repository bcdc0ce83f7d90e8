#!/usr/bin/env python3
"""Splits a process's samples from `perf script -F pid,tid,comm,ip,sym,dso` output.

Usage: split.py PERF_SCRIPT_TXT PID

Prints, per thread name (comm), how many samples the process had, how many ended in the
kernel (and through which user-space function the kernel was entered), and the
user-space functions with the most self samples. Used for BENCHMARKS.md, M8: "Where the
CPU per delivery goes".
"""
import collections
import sys


def frames(path):
    cur = None
    for line in open(path, errors="replace"):
        if not line.strip():
            if cur:
                yield cur
            cur = None
        elif not line.startswith((" ", "\t")):
            parts = line.split()
            pid = next((p.split("/")[0] for p in parts if "/" in p and p.split("/")[0].isdigit()), None)
            cur = {"comm": parts[0], "pid": pid, "frames": []}
        elif cur is not None:
            cur["frames"].append(line.strip())
    if cur:
        yield cur


def sym(frame):
    parts = frame.split(None, 1)
    return parts[1].rsplit(" (", 1)[0][:110] if len(parts) > 1 else frame


def main():
    path, pid = sys.argv[1], sys.argv[2]
    samples = [s for s in frames(path) if s["pid"] == pid and s["frames"]]
    total = len(samples)
    print(f"process {pid}: {total} samples")
    by_comm = collections.defaultdict(list)
    for s in samples:
        by_comm[s["comm"]].append(s)
    for comm, ss in sorted(by_comm.items(), key=lambda kv: -len(kv[1])):
        kernel = [s for s in ss if "kernel" in s["frames"][0]]
        entered = collections.Counter()
        for s in kernel:
            user = next((f for f in s["frames"] if "kernel" not in f), None)
            entered[sym(user) if user else "?"] += 1
        own = collections.Counter(sym(s["frames"][0]) for s in ss if "kernel" not in s["frames"][0])
        print(f"\n## {comm}: {len(ss)} samples ({len(ss) * 100 / total:.1f} % of the process); "
              f"kernel {len(kernel)} ({len(kernel) * 100 / total:.1f} %), user {len(ss) - len(kernel)} "
              f"({(len(ss) - len(kernel)) * 100 / total:.1f} %)")
        print("kernel entered from:")
        for name, c in entered.most_common(6):
            print(f"  {c * 100 / total:5.1f} %  {name}")
        print("user-space self samples:")
        for name, c in own.most_common(15):
            print(f"  {c * 100 / total:5.1f} %  {name}")


if __name__ == "__main__":
    main()
