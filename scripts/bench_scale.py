"""The `scale` section of scripts/bench: how the no-op and a one-asset change grow with the campaign.

For each size (assets / explicit pairs) it builds a campaign of tiny local animatics once, then:

- the no-op `reel build` (every node cached), beside GNU make on a Makefile with the same graph
  (one rule per clip depending on its two images, one rule for the video depending on every clip):
  make's no-op is the floor of "compare timestamps of the same files";
- the peak memory (max RSS) of that no-op;
- a one-asset change: one image's pixels replaced, `reel build --json`; the time beyond the no-op is
  compared with the work of the nodes it rebuilt (their `seconds` in the build's JSON), so anything
  planning or the lockfile do in proportion to the whole campaign shows up as "overhead".

Targets (issue 15): no-op at 200 assets / 100 pairs ≤ 1.5 × make; at 10,000 pairs ≤ 0.1 ms per pair
above the process floor (`reel --version`); a one-asset change ≤ (no-op + rebuilt nodes' work) × 1.1;
no-op memory growing by ≤ 8 KB per pair between the smallest and the largest size.

The one-asset change is reported twice. Strictly, the storyboard's rewrite counts as overhead: the
page shows every clip, so rewriting it is work in proportion to the campaign, plus new pictures of
the new video (poster, contact sheet) and image. Read as an output rebuilt (issue 10 made the
storyboard "an output like any other"), its `seconds` (the `storyboard` event) count as rebuilt
work, and so does the plan-time decode of the changed image (the `checked` event: every image is
checked once per content before anything uses it); the row says which reading holds.

Sizes: 200/100, 1,000/500, 5,000/2,500 and 5,000/10,000 (each image in four pairs); --quick uses
40/20 and 400/400. The cold builds dominate the section's time (10,000 clips: several minutes).
"""

import os
import statistics

NOOP_MAKE_RATIO = 1.5
PER_PAIR_MS = 0.1
CHANGE_OVERHEAD = 1.10
MEMORY_PER_PAIR_KB = 8.0


def sizes(args):
    if getattr(args, "scale_sizes", None):
        return [tuple(int(n) for n in size.split("x")) for size in args.scale_sizes.split(",")]
    if args.quick:
        return [(40, 20), (400, 400)]
    return [(200, 100), (1000, 500), (5000, 2500), (5000, 10000)]


def pairs_for(assets, pairs):
    """`pairs` distinct ordered pairs of image indices: (i, i+1), then (i, i+2), … around the ring."""
    chosen = []
    step = 1
    while len(chosen) < pairs:
        for i in range(0, assets, 2 if pairs * 2 <= assets else 1):
            chosen.append((i, (i + step) % assets))
            if len(chosen) == pairs:
                break
        step += 1
    return chosen


def make_images(bench, directory, count):
    """`count` distinct small PNGs in one ffmpeg run (testsrc2 with a hue turning per frame)."""
    os.makedirs(directory, exist_ok=True)
    bench.ffmpeg("-f", "lavfi", "-i", "testsrc2=s=96x54:r=1,hue=h=t*37", "-frames:v", str(count), "-start_number", "0",
                 os.path.join(directory, "img%05d.png"))


def write_makefile(path, count, pairs):
    """A Makefile with Reel's graph: clips from image pairs, the video from the clips."""
    lines = [".PHONY: all", "all: out/video.mp4", ""]
    clips = []
    for index, (a, b) in enumerate(pairs):
        clip = f"clips/{index:05d}.mp4"
        clips.append(clip)
        lines.append(f"{clip}: assets/img{a:05d}.png assets/img{b:05d}.png")
        lines.append("\t@mkdir -p clips && cat $^ > $@")
    lines.append("")
    lines.append("out/video.mp4: " + " ".join(clips))
    lines.append("\t@mkdir -p out && touch $@")  # not `cat $^`: 10,000 names overflow the argument list
    lines.append("")
    with open(path, "w") as handle:
        handle.write("\n".join(lines))


def rss_run(bench, command, cwd):
    """(wall ms, max RSS KiB) of one run of `command`, which must succeed."""
    wall, _, rss = bench.measured(command, cwd)
    return wall * 1000, rss


def interleaved(bench, commands, cwd, runs):
    """Runs each command `runs` times, interleaved; returns {name: (walls ms, max RSS KiB)}."""
    results = {name: ([], []) for name in commands}
    for name, command in commands.items():  # warm-up
        rss_run(bench, command, cwd)
    for _ in range(runs):
        for name, command in commands.items():
            wall, rss = rss_run(bench, command, cwd)
            results[name][0].append(wall)
            results[name][1].append(rss)
    return results


def bench_scale(args, reel, root, report, bench):
    runs = max(3, min(args.runs, 11))
    memory = []
    for assets, pair_count in sizes(args):
        label = f"{assets:,} assets / {pair_count:,} pairs"
        work = os.path.join(root, f"scale-{assets}-{pair_count}")
        os.makedirs(os.path.join(work, ".reel"))
        bench.log(f"scale: {label}: generating images")
        make_images(bench, os.path.join(work, "assets"), assets)
        pairs = pairs_for(assets, pair_count)
        names = [(f"img{a:05d}", f"img{b:05d}") for a, b in pairs]
        path = os.path.join(work, "reel.yaml")
        bench.write(path, bench.manifest(f"scale-{pair_count}", ["glob: assets/*.png"], names,
                                         {"generator": "local", "duration": 1},
                                         {"path": "out/scale.mp4", "resolution": "32x18", "fps": 2, "transition": "none"}))
        cache, ledger = os.path.join(work, "cache"), os.path.join(work, "ledger.sqlite")
        bench.log(f"scale: {label}: cold build")
        cold = bench.timed(reel.args("build", path, cache, ledger, "-q"))
        final, _, _ = reel.build_json(path, cache, ledger)
        if {node["state"] for node in final["nodes"]} != {"cached"} or final["lockfile_changed"]:
            bench.die(f"scale {label}: the second build was not a no-op")

        write_makefile(os.path.join(work, "Makefile"), assets, pairs)
        bench.run(["make", "-s", "-C", work])  # builds make's own outputs once
        commands = {
            "reel": reel.args("build", path, cache, ledger, "-q"),
            "make": ["make", "-s", "-C", work],
            "floor": [reel.binary, "--version"],
        }
        bench.wait_for_quiet(args, f"the {label} no-op runs")
        before = bench.loadavg()
        results = interleaved(bench, commands, work, runs)
        load = (before[0], bench.loadavg()[0])
        noop = statistics.median(results["reel"][0])
        make = statistics.median(results["make"][0])
        floor = statistics.median(results["floor"][0])
        rss = max(results["reel"][1])
        memory.append((pair_count, rss))
        report.add("scale", f"no-op reel build, {label} (cold build {cold:.0f} s)",
                   f"median {noop:.1f} ms (min {min(results['reel'][0]):.1f}); make {make:.1f} ms = {noop / make:.2f}×; "
                   f"floor {floor:.1f} ms; {(noop - floor) / pair_count:.3f} ms/pair above it",
                   "", "", load)
        if (assets, pair_count) == sizes(args)[0]:
            report.rows[-1] = report.rows[-1][:3] + (f"≤ {NOOP_MAKE_RATIO}× make", report.verdict(noop <= NOOP_MAKE_RATIO * make), load)
        if pair_count >= 10000 or (args.quick and (assets, pair_count) == sizes(args)[-1]):
            per_pair = (noop - floor) / pair_count
            report.rows[-1] = report.rows[-1][:3] + (f"≤ {PER_PAIR_MS} ms/pair above the floor", report.verdict(per_pair <= PER_PAIR_MS), load)
        report.add("scale", f"no-op peak memory, {label}", f"{rss / 1024:.1f} MiB", "(info)", "")

        # One asset's pixels changed: the first image of the first pair gets another frame's pixels.
        target = os.path.join(work, "assets", f"img{pairs[0][0]:05d}.png")
        changes = []
        for attempt in range(3):
            bench.ffmpeg("-f", "lavfi", "-i", f"testsrc2=s=96x54:r=1,hue=h={attempt * 11 + 5}", "-frames:v", "1", target)
            final, events, wall = reel.build_json(path, cache, ledger, stamp_lines=True)
            built = [node for node in final["nodes"] if node["state"] == "built"]
            work_s = sum(float(node["seconds"]) for node in built)
            # After the last node: placing the outputs, the lockfile and the storyboard (whose
            # poster and contact sheet are of the new video, so they grow with its length).
            last_node = max((e["_t"] for e in events if e.get("event") in ("built", "cached")), default=wall)
            storyboard_s = sum(float(e.get("seconds", 0)) for e in events if e.get("event") == "storyboard")
            check_s = sum(float(e.get("seconds", 0)) for e in events if e.get("event") == "checked")
            changes.append((wall * 1000, work_s * 1000, len(built), (wall - last_node) * 1000, storyboard_s * 1000, check_s * 1000))
        wall_ms = statistics.median(c[0] for c in changes)
        work_ms = statistics.median(c[1] for c in changes)
        tail_ms = statistics.median(c[3] for c in changes)
        storyboard_ms = statistics.median(c[4] for c in changes)
        check_ms = statistics.median(c[5] for c in changes)
        rebuilt = changes[0][2]
        bound = (noop + work_ms) * CHANGE_OVERHEAD
        report.add("scale", f"one asset changed, {label} ({rebuilt} nodes rebuilt)",
                   f"{wall_ms:.0f} ms (no-op {noop:.0f} + rebuilt nodes {work_ms:.0f} = {noop + work_ms:.0f}; "
                   f"after the last node: {tail_ms:.0f} ms, of which the storyboard's rewrite {storyboard_ms:.0f})",
                   f"≤ {bound:.0f} ms", report.verdict(wall_ms <= bound), None)
        counted = noop + work_ms + storyboard_ms + check_ms
        report.add("scale", f"one asset changed, {label}, the storyboard and the changed image's check counted as rebuilt work",
                   f"{wall_ms:.0f} ms (no-op {noop:.0f} + rebuilt nodes {work_ms:.0f} + storyboard {storyboard_ms:.0f} + "
                   f"image check {check_ms:.0f} = {counted:.0f})",
                   f"≤ {counted * CHANGE_OVERHEAD:.0f} ms", report.verdict(wall_ms <= counted * CHANGE_OVERHEAD), None)

    if len(memory) < 2:
        return  # growth needs two sizes
    (small_pairs, small_rss), (large_pairs, large_rss) = memory[0], memory[-1]
    growth = (large_rss - small_rss) / max(1, large_pairs - small_pairs)
    report.add("scale", f"no-op memory growth, {small_pairs:,} → {large_pairs:,} pairs", f"{growth:.2f} KiB per pair",
               f"≤ {MEMORY_PER_PAIR_KB:.0f} KB/pair", report.verdict(growth * 1.024 <= MEMORY_PER_PAIR_KB))
