"""Supporting figure for engine_overhead: the client-side CPU cost of one HTTP request on
loopback, httpx (as ApiClient configures it) against a minimal keep-alive HTTP/1.1 client on
asyncio streams, same sandbox, same request (GET /api/me on the Tallyfy sandbox, which runs
in its own process). It says how much of a migrated object's CPU the HTTP stack alone costs.

    .venv/bin/python benchmarks/http_floor.py [-n 3000] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import Figure, report, serve
from wizard.http import ApiClient
from wizard.ratelimit import RateLimiter
from wizard.secrets import SANDBOX_CREDENTIALS

CONCURRENCY = 4


def client_headers(token: str) -> dict[str, str]:
    """What the Tallyfy client sends with every request: without X-Tallyfy-Client the API
    (and the sandbox) answers 401, and the figure would time refusals."""
    return {"Authorization": f"Bearer {token}", "Accept": "application/json", "X-Tallyfy-Client": "migration-wizard"}


def answered(statuses: Counter[int], client: str) -> None:
    """Every timed request must have been answered 200, or the figure measures something else."""
    if set(statuses) != {200}:
        raise SystemExit(f"{client}: the sandbox answered {dict(statuses)}, not 200 to every request")


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


async def with_httpx(url: str, token: str, n: int) -> tuple[float, float]:
    client = ApiClient(url + "/api", limiter=RateLimiter([(10**9, 1.0)]), headers=client_headers(token))
    statuses: Counter[int] = Counter()
    sem = asyncio.Semaphore(CONCURRENCY)

    async def one() -> None:
        async with sem:
            resp = await client.http.get("me")
            statuses[resp.status_code] += 1
            resp.json()

    await one()
    statuses.clear()
    c0, t0 = cpu(), time.perf_counter()
    await asyncio.gather(*(one() for _ in range(n)))
    out = (cpu() - c0) / n * 1000, n / (time.perf_counter() - t0)
    await client.aclose()
    answered(statuses, "httpx")
    return out


async def with_streams(url: str, token: str, n: int) -> tuple[float, float]:
    host, port = url.split("//")[1].split(":")
    lines = "".join(f"{k}: {v}\r\n" for k, v in client_headers(token).items())
    req = f"GET /api/me HTTP/1.1\r\nHost: {host}:{port}\r\n{lines}\r\n".encode()
    conns = [await asyncio.open_connection(host, int(port)) for _ in range(CONCURRENCY)]
    statuses: Counter[int] = Counter()

    async def lane(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, k: int) -> None:
        for _ in range(k):
            writer.write(req)
            head = await reader.readuntil(b"\r\n\r\n")
            statuses[int(head.split(b" ", 2)[1])] += 1
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            json.loads(await reader.readexactly(length))

    c0, t0 = cpu(), time.perf_counter()
    await asyncio.gather(*(lane(r, w, n // CONCURRENCY) for r, w in conns))
    out = (cpu() - c0) / n * 1000, n / (time.perf_counter() - t0)
    for _, w in conns:
        w.close()
    answered(statuses, "asyncio streams")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=4000)
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    n = 200 if a.quick else a.n

    token = SANDBOX_CREDENTIALS["tallyfy"]["token"]
    with (
        tempfile.TemporaryDirectory(prefix="mw-floor-") as tmp,
        serve(Path(tmp) / "mig", scale="small", rate_limits="off", rate_scale=1e-6) as s,
    ):
        url = s.urls["tallyfy"]
        hx = asyncio.run(with_httpx(url, token, n))
        raw = asyncio.run(with_streams(url, token, n))
    print(f"httpx:           {hx[0]:.3f} ms CPU per request, {hx[1]:.0f} requests/s")
    print(f"asyncio streams: {raw[0]:.3f} ms CPU per request, {raw[1]:.0f} requests/s")
    report(
        [
            Figure(
                "httpx_cpu_ms_per_request", round(hx[0], 3), "ms", "(reported)", True, {"requests_per_s": round(hx[1])}
            ),
            Figure(
                "streams_cpu_ms_per_request",
                round(raw[0], 3),
                "ms",
                "(reported)",
                True,
                {"requests_per_s": round(raw[1])},
            ),
        ]
    )


if __name__ == "__main__":
    main()
