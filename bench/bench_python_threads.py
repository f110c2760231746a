#!/usr/bin/python3
"""bench_python_threads.py — do Python threads calling nucseg.segment run in parallel?

nucseg.segment releases the GIL around the library call, so two threads segmenting
different images should take about half the time one thread takes for all of them. The
same images go through the scikit-image peer pipeline (peer_skimage_segment.py) in the
same run and the same two ways, for comparison: much of it holds the GIL.

Each run also records the threads' CPU time: CPU / wall is how many cores the threads
kept busy at once (2 for two threads that never wait on each other), which other load on
a shared host lowers less than it lowers the wall-time speedup.

With two threads it also records for how much of the run both threads were inside a call
at once. nucseg.segment is one C call: had it held the GIL throughout, two of them could
not overlap (about 0); released, they can (up to 1). The peer's calls are Python
functions whose threads take turns between steps, so they overlap without running in
parallel: for it, only the speedup tells.

Images: the dsb2018-dev images of tests/data, each tiled to SIZE x SIZE (real nuclei,
enough work per call). Each configuration runs REPEATS times, alternating, and the
median wall time is kept. Writes OUT/python_threads.csv:
impl,threads,images,median_s,speedup_vs_1_thread,cores_busy
(median CPU/wall),calls_overlap (median fraction of the run with both threads in a call).

usage: PYTHONPATH=build/python /usr/bin/python3 bench/bench_python_threads.py OUT
       [--images 16] [--size 1024] [--repeats 5] [--data tests/data/dsb2018-dev]
"""
import argparse
import concurrent.futures
import glob
import os
import statistics
import sys
import time

import numpy as np

import nucseg

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import peer_skimage_segment  # noqa: E402  (the peer of bench_segment)


def load_images(data, count, size):
    paths = sorted(p for p in glob.glob(os.path.join(data, "*.png")) if not p.endswith("_labels.png"))
    out = []
    for p in paths[:count]:
        im = nucseg.read_image(p)
        reps = (-(-size // im.shape[0]), -(-size // im.shape[1]))
        out.append(np.ascontiguousarray(np.tile(im, reps)[:size, :size]))
    if len(out) < count:
        sys.exit(f"bench_python_threads: {data}: {len(out)} images, need {count}")
    return out


def overlap(a, b):
    """Total time during which an interval of a and one of b both run (each list is one
    thread's calls, in order, not overlapping each other)."""
    return sum(max(0.0, min(e1, e2) - max(s1, s2)) for s1, e1 in a for s2, e2 in b)


def run(fn, images, threads):
    """(wall time, CPU time of the threads) of fn over all images, split evenly over
    `threads` threads. CPU / wall is how many cores the threads kept busy at once: a
    measure of parallelism that other processes on a shared host lower less than the
    wall-time speedup (they take cores away, but cannot add CPU time to these threads)."""
    def part(ims):
        c0 = time.thread_time()
        calls = []
        for im in ims:
            t = time.perf_counter()
            fn(im)
            calls.append((t, time.perf_counter()))
        return time.thread_time() - c0, calls
    t0 = time.perf_counter()
    if threads == 1:
        cpu, _ = part(images)
        both = 0.0
    else:
        with concurrent.futures.ThreadPoolExecutor(threads) as pool:
            parts = list(pool.map(part, [images[k::threads] for k in range(threads)]))
        cpu = sum(c for c, _ in parts)
        both = overlap(parts[0][1], parts[1][1])
    wall = time.perf_counter() - t0
    return wall, cpu, both / wall


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out")
    ap.add_argument("--images", type=int, default=16)
    ap.add_argument("--size", type=int, default=1024)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--data", default=os.path.join(HERE, "..", "tests", "data", "dsb2018-dev"))
    ap.add_argument("--no-peer", action="store_true", help="nucseg only")
    a = ap.parse_args()
    cpus = len(os.sched_getaffinity(0))
    if cpus < 2:
        sys.exit("bench_python_threads: needs 2 CPUs, this process may use %d" % cpus)
    images = load_images(a.data, a.images, a.size)
    impls = {"nucseg": lambda im: nucseg.segment(im)}
    if not a.no_peer:
        impls["skimage"] = peer_skimage_segment.segment
    for fn in impls.values():  # warm-up: caches, allocator, imports
        fn(images[0])
    times = {(name, t): [] for name in impls for t in (1, 2)}
    for _ in range(a.repeats):
        for name, fn in impls.items():
            for t in (1, 2):
                times[(name, t)].append(run(fn, images, t))
    os.makedirs(a.out, exist_ok=True)
    path = os.path.join(a.out, "python_threads.csv")
    load = open("/proc/loadavg").read().split()[:3]
    with open(path, "w") as f:
        f.write("impl,threads,images,median_s,speedup_vs_1_thread,cores_busy,calls_overlap\n")
        for name in impls:
            one = statistics.median(w for w, _, _ in times[(name, 1)])
            for t in (1, 2):
                med = statistics.median(w for w, _, _ in times[(name, t)])
                busy = statistics.median(c / w for w, c, _ in times[(name, t)])
                both = statistics.median(o for _, _, o in times[(name, t)])
                f.write(f"{name},{t},{len(images)},{med:.4f},{one / med:.3f},{busy:.3f},{both:.3f}\n")
                print(f"{name:8s} {t} thread{'s' if t > 1 else ' '}: {med:.3f} s for {len(images)} images of "
                      f"{a.size}x{a.size} (median of {a.repeats}), speedup {one / med:.2f}x, "
                      f"cores busy {busy:.2f}, calls overlapping {both:.2f} of the run")
    print(f"{cpus} CPUs usable; load average {' '.join(load)} at the end; {path}")


if __name__ == "__main__":
    main()
