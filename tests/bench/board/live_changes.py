"""Offers live changes to the board at a steady rate, for board_bench.mjs.

Each event is a status_update from LeadIntakeAgent for one of the given
leads (round robin), whose message is the time it was made in nanoseconds:
the card's activity line shows it, so the page can tell how long the change
took to be painted. Events go out as they are made, one ingest stream per
second, so the server commits (and the board hears of) each as it comes.

    python live_changes.py TARGET RATE SECONDS < lead_ids
"""

import sys
import time

import grpc
from google.protobuf import timestamp_pb2

from leadboard._proto import event_pb2
from leadboard._proto import leadboard_pb2_grpc as service


def main() -> None:
    target, rate, seconds = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
    leads = [line.split()[0] for line in sys.stdin if line.strip()]
    if not leads:
        sys.exit("live_changes: no lead ids on stdin")
    stub = service.LeadBoardStub(grpc.insecure_channel(target))
    run = f"live-{time.time_ns()}"
    interval = 1.0 / rate
    start = time.monotonic()
    sent = 0

    def second(first: int):
        nonlocal sent
        for k in range(first, first + int(rate)):
            due = start + k * interval
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            now = time.time_ns()
            lead = leads[k % len(leads)]
            yield event_pb2.PipelineEvent(
                event_id=f"{run}-{k}", lead_id=lead, job_id=lead.rsplit("-lead-", 1)[0], user_id="bench",
                type=event_pb2.EVENT_TYPE_STATUS_UPDATE, agent_name="LeadIntakeAgent",
                message=f"{now} intake {k}",
                occurred_at=timestamp_pb2.Timestamp(seconds=now // 10**9, nanos=now % 10**9))
            sent += 1

    total = int(rate * seconds)
    for first in range(0, total, int(rate)):
        stub.IngestEvents(second(first))
    print(f"live_changes: {sent} events in {time.monotonic() - start:.1f} s")


if __name__ == "__main__":
    main()
