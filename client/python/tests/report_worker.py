"""A pipeline worker for the kill -9 test: reports a fixed simulated job with the sync SDK.

Usage: python report_worker.py TARGET DELAY_SECONDS
Prints "sent N" after each event handed to the SDK, then the summary as JSON.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time

import leadboard
from leadboard.sim import SimOptions, plan_job

OPTIONS = SimOptions(leads=5, seed=5, failure_rate=0.4, duplicate_rate=0.2, concurrency=2, run_id="kill",
                     start_time=dt.datetime(2026, 1, 1, 12, 0, 0))


def main() -> None:
    target, delay = sys.argv[1], float(sys.argv[2])
    plan = plan_job(OPTIONS, 1)
    adapters: dict[str, leadboard.EventAdapter] = {}

    def events():
        for n, pe in enumerate(plan.events, start=1):
            adapter = adapters.setdefault(pe.stream, leadboard.EventAdapter())
            yield adapter.adapt(pe.event)
            print(f"sent {n}", flush=True)
            if delay:
                time.sleep(delay)

    with leadboard.Client(target, batch_size=40) as client:
        summary = client.report(events())
    print(json.dumps({"accepted": summary.accepted, "duplicates": summary.duplicates,
                      "rejected": len(summary.rejected), "deliveries": plan.deliveries,
                      "unique": plan.deliveries - plan.duplicate_deliveries,
                      "outcomes": plan.outcomes, "job_id": plan.job_id}), flush=True)


if __name__ == "__main__":
    main()
