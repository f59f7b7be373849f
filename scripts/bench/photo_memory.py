"""Peak memory of a production server while clients upload maximum-size photos (issue 12, hole 4).

Starts gunicorn the way production runs it (``-w 2 -k gthread --threads 4``, SpatiaLite in a
temporary folder), warms it up with one small report, then:

1. **maximum photos**: 3 clients each upload 3 photos at once (9 requests in flight, one photo
   each): the largest PNG under the cap (7071 x 7071 RGBA, 50 MP), the largest phone JPEG
   (8160 x 6120, 50 MP, with EXIF orientation) and a 50 MP HEIC. All must be accepted (201).
2. **bombs**: 3 clients each upload 3 PNGs of 9400 x 9400 RGBA (88 MP in ~360 KB, the attack
   of issue 12) at once. All must be refused (422 photo_too_many_pixels), cheaply.

While each round runs, the RSS of the master and its workers (/proc) is sampled every 10 ms;
the figure is the peak of their sum minus the sum just before the round ("peak RSS growth"),
plus the sum of each process's own peak growth (VmHWM after a reset, an upper bound).
Goal: < 600 MB for round 1.

Usage: .venv/bin/python scripts/bench/photo_memory.py [--workers 2] [--threads 4]
  (FIELDAUDIT_PHOTO_WORKERS in the environment is passed to the server).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PIL import Image
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from fieldaudit.photos import MAX_PIXELS  # noqa: E402
from scripts.bench.photo_ingest import flat_png, make_photo  # noqa: E402
from scripts.servers import Gunicorn, running_in_group, server_environment  # noqa: E402

GOAL_MB = 600
CLIENTS = 3
PHOTOS_PER_CLIENT = 3
STATION = {"lat": 55.71890, "lon": 12.44370}


def largest_photos(cache: Path) -> list[tuple[str, bytes]]:
    """The largest photos the server accepts: PNG (RGBA), JPEG and HEIC, each just under 50 MP.

    Making them takes minutes; they are kept in ``cache`` for the next run.
    """
    kinds = ("png", "jpeg", "heic")
    if all((cache / f"largest.{kind}").exists() for kind in kinds):
        return [(kind, (cache / f"largest.{kind}").read_bytes()) for kind in kinds]
    side = int(MAX_PIXELS**0.5)
    gradient = Image.linear_gradient("L").resize((side, side))
    png = io.BytesIO()
    Image.merge("RGBA", (gradient, gradient.rotate(90), gradient, gradient)).save(png, "PNG")
    del gradient
    jpeg = make_photo(8160, 6120)
    heic = io.BytesIO()
    Image.open(io.BytesIO(jpeg)).save(heic, "HEIF", quality=50)
    photos = [("png", png.getvalue()), ("jpeg", jpeg), ("heic", heic.getvalue())]
    cache.mkdir(parents=True, exist_ok=True)
    for kind, data in photos:
        (cache / f"largest.{kind}").write_bytes(data)
    return photos


def report_body(photo: bytes, name: str) -> tuple[bytes, str]:
    """A multipart report with one photo: the body and its content type."""
    payload = {
        "uuid": str(uuid.uuid4()),
        **STATION,
        "accuracy_m": 6.0,
        "category": "step",
        "severity": "high",
        "groups": [],
        "tags": [],
        "measurements": {"threshold_height": {"value": 12, "unit": "cm"}},
        "description": "Trin ved indgangen (benchmark).",
        "created_at": "2026-11-20T10:00:00+01:00",
    }
    fields = MultiDict(
        [
            ("report", json.dumps(payload)),
            ("photos", FileStorage(io.BytesIO(photo), name, content_type="image/" + name[-3:])),
        ]
    )
    boundary, body = encode_multipart(fields)
    return body, f"multipart/form-data; boundary={boundary}"


def upload(url: str, photo: bytes, name: str, client: int) -> tuple[int, str, float]:
    """POST one report with one photo; return the status, the error code if any, the seconds."""
    body, content_type = report_body(photo, name)
    request = urllib.request.Request(
        f"{url}/api/v1/reports",
        data=body,
        headers={"Content-Type": content_type, "X-Device-Token": f"bench-client-{client:02d}" * 4},
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=300) as answer:
            return answer.status, "", time.perf_counter() - started
    except urllib.error.HTTPError as error:
        code = json.loads(error.read() or b"{}").get("error", "")
        return error.code, code, time.perf_counter() - started


def _status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class RssSampler:
    """Samples the summed RSS of a process group every 10 ms in a thread."""

    def __init__(self, group: int) -> None:
        self.group = group
        self.pids = running_in_group(group)
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def total_kb(self) -> int:
        """The RSS of the server's processes now, summed."""
        return sum(_status_kb(pid, "VmRSS:") for pid in self.pids)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_kb = max(self.peak_kb, self.total_kb())
            time.sleep(0.01)

    def measure(self, action: Callable[[], object]) -> tuple[float, float, object]:
        """Run ``action``; return (sampled peak growth MB, summed VmHWM growth MB, result)."""
        for pid in self.pids:
            Path(f"/proc/{pid}/clear_refs").write_text("5")  # VmHWM := VmRSS now
        before = {pid: _status_kb(pid, "VmRSS:") for pid in self.pids}
        self.peak_kb = sum(before.values())
        self._thread.start()
        try:
            result = action()
        finally:
            self._stop.set()
            self._thread.join()
        hwm = sum(_status_kb(pid, "VmHWM:") - before[pid] for pid in self.pids)
        return (self.peak_kb - sum(before.values())) / 1024, hwm / 1024, result


def round_of_uploads(url: str, photos: list[tuple[str, bytes]]) -> list[tuple[int, str, float]]:
    """Each client sends its photos at once, one report each: clients x photos in flight."""
    jobs = [
        (client, photos[index % len(photos)])
        for client in range(CLIENTS)
        for index in range(PHOTOS_PER_CLIENT)
    ]
    with ThreadPoolExecutor(len(jobs)) as pool:
        futures = [
            pool.submit(upload, url, data, f"photo.{kind}", client) for client, (kind, data) in jobs
        ]
        return [future.result() for future in futures]


def run(workers: int, threads: int, cache: Path) -> int:
    """Start the server, run both rounds, print the figures; 0 if the goal was met."""
    print("Making the photos ...", flush=True)
    photos = largest_photos(cache)
    bomb = flat_png(9400, 9400)
    for kind, data in photos:
        print(f"  {kind}: {len(data) / 1e6:.1f} MB")
    print(f"  bomb png 9400 x 9400: {len(bomb) / 1e3:.0f} KB")
    with tempfile.TemporaryDirectory(prefix="fieldaudit-photo-memory-") as tmp:
        folder = Path(tmp)
        config = {
            "DATABASE_URL": f"sqlite:///{folder / 'fieldaudit.sqlite'}",
            "MEDIA_DIR": str(folder / "media"),
        }
        env = server_environment(
            config, FIELDAUDIT_PHOTO_WORKERS=os.environ.get("FIELDAUDIT_PHOTO_WORKERS", "1")
        )
        env["PYTHONPATH"] = str(ROOT)
        subprocess.run(
            [sys.executable, "-m", "flask", "--app", "fieldaudit", "init"],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        server = Gunicorn(
            env,
            folder / "gunicorn.log",
            workers=workers,
            options=("--worker-class", "gthread", "--threads", str(threads)),
        )
        with server:
            small = [("jpeg", make_photo())]
            for _ in range(2 * workers):  # every worker has imported and run everything once
                round_of_uploads(server.url, small)
            time.sleep(1.0)
            group = server.process.pid
            print(
                f"gunicorn -w {workers} -k gthread --threads {threads}, "
                f"FIELDAUDIT_PHOTO_WORKERS={env['FIELDAUDIT_PHOTO_WORKERS']}: "
                f"{len(running_in_group(group))} processes, "
                f"{RssSampler(group).total_kb() / 1024:.0f} MB RSS after warm-up"
            )
            failures = 0
            for title, sent, expected in (
                ("maximum photos", photos, (201, "")),
                ("bombs", [("png", bomb)], (422, "photo_too_many_pixels")),
            ):
                started = time.perf_counter()
                peak, hwm, answers = RssSampler(group).measure(
                    lambda sent=sent: round_of_uploads(server.url, sent)
                )
                elapsed = time.perf_counter() - started
                wrong = [a for a in answers if (a[0], a[1]) != expected]
                failures += len(wrong)
                slowest = max(a[2] for a in answers)
                print(
                    f"{title}: {CLIENTS} clients x {PHOTOS_PER_CLIENT} photos in {elapsed:.1f} s "
                    f"(slowest answer {slowest:.1f} s): peak RSS growth {peak:.0f} MB "
                    f"(sum of per-process peaks {hwm:.0f} MB); "
                    f"answers {sorted({(a[0], a[1]) for a in answers})}"
                )
                if title == "maximum photos" and peak >= GOAL_MB:
                    failures += 1
                    print(f"  goal missed: < {GOAL_MB} MB")
            return 1 if failures else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "fieldaudit-photo-memory",
        help="where the generated photos are kept between runs",
    )
    args = parser.parse_args()
    sys.exit(run(args.workers, args.threads, args.cache))


if __name__ == "__main__":
    main()
