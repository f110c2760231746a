#!/usr/bin/env python3
"""scaling_model.py — predicted wall time of a whole screen on 1..1000 nodes (docs/scaling.md).

Every figure is an argument: the ones measured here (CPU per megapixel, output size,
dispatch rate, summary cost: bench/scaling_calibrate.sh and bench_dispatch) and the ones
of the cluster (cores, read bandwidth per node and of the shared file system, its
metadata rate, launch time), which a user replaces with theirs.

    T(N) = launch(N) + listing + max(cpu, node I/O, FS bandwidth, FS metadata, dispatch) + tail + summary

cpu        images x CPU per image / (N x workers per node)
node I/O   images x (input + output bytes) / (N x node read bandwidth)
FS bw      images x (input + output bytes) / shared-FS bandwidth
FS meta    images x metadata operations per image / metadata rate of the shared FS
dispatch   images / rank 0's dispatch rate
tail       the largest image, last (largest-first makes the tail one image long)
listing    rank 0 lists and stats every input once, before the first job goes out
summary    rank 0 writes one entry per image at the end
"""
import argparse


def main():
    a = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    req = dict(type=float, required=True)
    a.add_argument("--images", **req, help="images in the screen")
    a.add_argument("--megapixels", **req, help="megapixels per image")
    a.add_argument("--cpu-ms-per-mp", **req, help="worker CPU ms per megapixel (measured)")
    a.add_argument("--in-mb", **req, help="input MB per image")
    a.add_argument("--out-mb", **req, help="output MB per image (measured)")
    a.add_argument("--meta-ops", **req, help="file-system metadata operations per image")
    a.add_argument("--dispatch-per-s", **req, help="jobs/s rank 0 hands out (bench_dispatch)")
    a.add_argument("--summary-us", **req, help="summary cost per image on rank 0, microseconds (measured)")
    a.add_argument("--list-per-s", **req, help="inputs rank 0 lists and stats per second")
    a.add_argument("--cores", **req, help="cores per node")
    a.add_argument("--node-gbs", **req, help="read bandwidth of one node from the shared FS, GB/s")
    a.add_argument("--fs-gbs", **req, help="aggregate bandwidth of the shared FS, GB/s")
    a.add_argument("--fs-meta-per-s", **req, help="metadata operations per second of the shared FS")
    a.add_argument("--launch-s", **req, help="launch time: fixed part, s")
    a.add_argument("--launch-s-per-node", **req, help="launch time per node, s")
    a.add_argument("--nodes", default="1,2,4,8,16,32,64,128,256,512,1000")
    x = a.parse_args()

    workers = max(1, x.cores - 1)
    cpu_img = x.cpu_ms_per_mp * x.megapixels / 1e3
    mb = x.in_mb + x.out_mb
    total_tb = x.images * mb / 1e6
    listing = x.images / x.list_per_s
    summary = x.images * x.summary_us / 1e6
    fs_bw = x.images * mb / 1e3 / x.fs_gbs
    fs_meta = x.images * x.meta_ops / x.fs_meta_per_s
    dispatch = x.images / x.dispatch_per_s
    print(f"screen: {x.images:.0f} images of {x.megapixels:g} MP, {cpu_img * 1e3:.0f} ms CPU each, "
          f"{total_tb:.2f} TB read + written; {workers} workers a node")
    print()
    print("| nodes | CPU s | node I/O s | FS bw s | FS meta s | dispatch s | fixed s | predicted wall | "
          "images/s | efficiency | bound by |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    t1 = None
    for n in [int(v) for v in x.nodes.split(",")]:
        cpu = x.images * cpu_img / (n * workers)
        node_io = x.images * mb / 1e3 / (n * x.node_gbs)
        parts = {"CPU": cpu, "node I/O": node_io, "FS bandwidth": fs_bw, "FS metadata": fs_meta,
                 "rank 0 dispatch": dispatch}
        bound = max(parts, key=parts.get)
        fixed = x.launch_s + x.launch_s_per_node * n + listing + cpu_img + summary
        wall = parts[bound] + fixed
        if t1 is None:
            t1 = wall
        eff = t1 / (wall * n)
        print(f"| {n} | {cpu:.0f} | {node_io:.0f} | {fs_bw:.0f} | {fs_meta:.0f} | {dispatch:.1f} | {fixed:.0f} | "
              f"{wall / 3600:.2f} h | {x.images / wall:.0f} | {eff:.2f} | {bound} |")
    # Where it stops scaling: the node count at which what more nodes shorten (CPU, each
    # node's I/O) falls to the largest limit they do not (shared FS, rank 0).
    per_node = {"CPU": x.images * cpu_img / workers, "node I/O": x.images * mb / 1e3 / x.node_gbs}
    own = max(per_node, key=per_node.get)
    flat = {"FS bandwidth": fs_bw, "FS metadata": fs_meta, "rank 0 dispatch": dispatch}
    lim = max(flat, key=flat.get)
    n_star = per_node[own] / flat[lim]
    print()
    print(f"Each node is bound by its {own}; that meets the {lim} limit ({flat[lim]:.0f} s) at about "
          f"{n_star:.0f} nodes: beyond that, more nodes do not shorten the run. Fixed costs: listing "
          f"{listing:.0f} s, summary {summary:.0f} s, launch {x.launch_s:.0f} s + {x.launch_s_per_node:g} s a node.")


if __name__ == "__main__":
    main()
