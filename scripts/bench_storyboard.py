"""The `storyboard` section of scripts/bench (issue 10, item 16): the storyboard's share of a cold
build, its work when one clip is rebuilt, and its pictures of a large video.

- 1,000 pairs (2,000 distinct 96x54 images; --quick: 60 pairs), local animatic clips at 64x36,
  1 s, 4 fps: the cold build, then the storyboard written from scratch by `reel report` (its folder
  and what Reel remembers of it removed first). Target: ≤ 10% of the cold build.
- One image of that campaign changed: `reel build` rebuilds one clip and the final video; the
  storyboard's part of it is the time between the last node's event and the build's final line
  (it also holds the lockfile's writing). Target (info): a small part of the from-scratch time.
- A large final video (about 1 GiB of 1280x720 H.264; --quick: 64 MiB at 320x180), and a quarter of
  it: the storyboard's pictures of it (poster and contact sheet, `reel report --pictures-of`, the
  code the storyboard runs) against one plain ffmpeg decode pass over the same video: wall time, CPU
  time and peak memory (the largest of reel and the ffmpeg processes it ran). Targets: time ≤ one
  decode pass, and memory and time that do not grow with the video (the quarter-size video is the
  comparison).

Every timed command reports its CPU time (user + system of the process and its children) beside
the wall time: the machine may be shared, and CPU time is steadier than wall time there.
"""

import os
import shutil

SHARE_TARGET = 0.10
PICTURES_MEMORY_TARGET_MB = 200


def measured(bench, args, cwd=None):
    """(wall s, CPU s, peak RSS MiB) of `args` and every process it waited for."""
    wall, cpu, rss = bench.measured(args, cwd)
    return wall, cpu, rss / 1024


def bench_storyboard(args, reel, root, report, bench):
    work = os.path.join(root, "storyboard")
    os.makedirs(os.path.join(work, "assets"))
    os.makedirs(os.path.join(work, ".reel"))
    share(args, reel, work, report, bench)
    large_video(args, reel, work, report, bench)


def share(args, reel, work, report, bench):
    pairs_count = 60 if args.quick else 1000
    count = 2 * pairs_count
    bench.log(f"storyboard: generating {count} distinct images")
    bench.ffmpeg("-f", "lavfi", "-i", "testsrc2=s=96x54:r=1,hue=h=t*37", "-frames:v", str(count), "-start_number", "0",
                 os.path.join(work, "assets", "img%04d.png"))
    pairs = [(f"img{2 * i:04d}", f"img{2 * i + 1:04d}") for i in range(pairs_count)]
    path = os.path.join(work, "reel.yaml")
    bench.write(path, bench.manifest("bench-storyboard", ["glob: assets/*.png"], pairs, {"generator": "local", "duration": 1},
                                     {"path": "out/story.mp4", "resolution": "64x36", "fps": 4, "transition": "none"}))
    cache, ledger = os.path.join(work, "cache"), os.path.join(work, "ledger.sqlite")

    bench.wait_for_quiet(args, "the storyboard's cold build")
    before = bench.loadavg()
    bench.log(f"storyboard: cold build of {pairs_count} tiny clips (64x36, 1 s, 4 fps)")
    cold, cold_cpu, _ = measured(bench, reel.args("build", path, cache, ledger, "-q"))
    report.add("storyboard", f"cold build, {pairs_count} pairs ({count} images, 64x36 clips + combine)",
               f"{cold:.1f} s wall, {cold_cpu:.1f} s CPU", "(info)", "", (before[0], bench.loadavg()[0]))

    # From scratch: the folder and what Reel remembers of it removed, written again by `reel report`.
    scratch = []
    runs = 1 if args.quick else 2
    for _ in range(runs):
        shutil.rmtree(os.path.join(work, "out", "story.report"), ignore_errors=True)
        shutil.rmtree(os.path.join(cache, "v1", "reports"), ignore_errors=True)
        before = bench.loadavg()
        wall, cpu, rss = measured(bench, reel.args("report", path, cache, ledger, "-q"))
        scratch.append((wall, cpu, rss, before[0], bench.loadavg()[0]))
    wall, cpu, rss, load_before, load_after = min(scratch)
    report.add("storyboard", f"storyboard from scratch, {pairs_count} pairs ({count} thumbnails, best of {runs})",
               f"{wall:.1f} s wall = {100 * wall / cold:.1f}% of the cold build; {cpu:.1f} s CPU = {100 * cpu / cold_cpu:.1f}%; peak {rss:.0f} MiB",
               f"≤ {SHARE_TARGET:.0%}", report.verdict(wall / cold <= SHARE_TARGET), (load_before, load_after))

    # One image changed: its clip is rebuilt, then the final video; the storyboard follows.
    bench.ffmpeg("-f", "lavfi", "-i", "testsrc2=s=96x54:r=1,hue=h=200,negate", "-frames:v", "1", os.path.join(work, "assets", "img0000.png"))
    before = bench.loadavg()
    final, events, total = reel.build_json(path, cache, ledger, stamp_lines=True)
    built = sorted(node["id"] for node in final["nodes"] if node["state"] == "built")
    if "combine" not in built or [b for b in built if b.startswith("generate/")] != ["generate/0"]:
        bench.die(f"expected generate/0 and combine to be rebuilt, got {built}")
    last_node = max(event["_t"] for event in events if event.get("node"))
    after_nodes = final["_t"] - last_node
    report.add("storyboard", f"one image changed: its clip and the video rebuilt ({', '.join(built)}); the storyboard after the last node",
               f"{after_nodes:.2f} s of a {total:.1f} s build ({100 * after_nodes / wall:.0f}% of the from-scratch storyboard)",
               "(info) a fraction of from scratch", report.verdict(after_nodes < wall / 4), (before[0], bench.loadavg()[0]))


def large_video(args, reel, work, report, bench):
    """A long 1280x720 video of about `size` bytes: one minute encoded, then stream-copied end to end."""
    size_mib = 64 if args.quick else 1024
    resolution, bitrate = ("320x180", "512k") if args.quick else ("1280x720", "14M")
    segment = os.path.join(work, "segment.mp4")
    bench.log(f"storyboard: encoding a one-minute {resolution} segment at {bitrate}bit/s for a {size_mib} MiB video")
    bench.ffmpeg("-f", "lavfi", "-i", f"testsrc2=s={resolution}:r=24,noise=alls=20:allf=t", "-t", "60", "-c:v", "libx264", "-preset", "ultrafast",
                 "-b:v", bitrate, "-maxrate", bitrate, "-bufsize", bitrate, "-pix_fmt", "yuv420p", segment)
    copies = max(1, round(size_mib * 1024 * 1024 / os.path.getsize(segment)))
    videos = []
    for name, count in (("quarter", max(1, copies // 4)), ("full", copies)):
        listing = os.path.join(work, f"{name}.txt")
        bench.write(listing, "".join(f"file '{segment}'\n" for _ in range(count)))
        video = os.path.join(work, f"{name}.mp4")
        bench.ffmpeg("-f", "concat", "-safe", "0", "-i", listing, "-c", "copy", video)
        videos.append((name, video, count))
    for name, video, count in videos:
        size = os.path.getsize(video) / 1024 / 1024
        seconds = bench.probe_duration(video)
        bench.wait_for_quiet(args, f"the {name} video")
        before = bench.loadavg()
        decode = measured(bench, ["ffmpeg", "-nostdin", "-v", "error", "-i", video, "-map", "0:v:0", "-f", "null", "-"])
        pictures = measured(bench, [reel.binary, "report", "--pictures-of", video, "--pictures-into", os.path.join(work, f"{name}-pictures")])
        after = bench.loadavg()
        label = f"{size:.0f} MiB, {seconds:.0f} s {resolution}"
        report.add("storyboard", f"one ffmpeg decode pass over a {label} video",
                   f"{decode[0]:.1f} s wall, {decode[1]:.1f} s CPU, peak {decode[2]:.0f} MiB", "(info)", "", (before[0], after[0]))
        ok = pictures[0] <= decode[0] and pictures[2] <= PICTURES_MEMORY_TARGET_MB
        report.add("storyboard", f"its poster and contact sheet (reel report --pictures-of)",
                   f"{pictures[0]:.1f} s wall, {pictures[1]:.1f} s CPU, peak {pictures[2]:.0f} MiB",
                   f"≤ the decode pass, ≤ {PICTURES_MEMORY_TARGET_MB} MiB", report.verdict(ok), (before[0], after[0]))
        os.remove(video)
    os.remove(segment)
