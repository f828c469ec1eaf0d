"""``leadboard-simulate``: the command line of the simulator (see :mod:`leadboard.sim`)."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import signal
import sys
from typing import Any, Callable, Coroutine, Optional

from ..aio import AsyncClient
from ..errors import LeadboardError
from .jobs import JobPlan, JobResult, SimOptions, enrichment_agent, plan_job, play_job

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="leadboard-simulate",
        description="Play realistic prospecting jobs against a leadboard server.",
    )
    p.add_argument("--target", default="127.0.0.1:50051", help="server host:port (default %(default)s)")
    p.add_argument("--token", default=os.environ.get("LEADBOARD_TOKEN"), help="bearer token (env LEADBOARD_TOKEN)")
    p.add_argument("--tls", action="store_true", help="connect with TLS")
    p.add_argument("--jobs", type=int, default=1, help="jobs to run at once (default %(default)s)")
    p.add_argument("--leads", type=int, default=5, help="leads per job (default %(default)s)")
    p.add_argument("--speed", type=float, default=10.0,
                   help="times faster than life; 0 = no sleeping (default %(default)s)")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: random, printed)")
    p.add_argument("--run-id", default=None, help="prefix of job and lead ids (default: random)")
    p.add_argument("--failure-rate", type=float, default=0.1, help="share of leads that fail (default %(default)s)")
    p.add_argument("--warning-rate", type=float, default=None,
                   help="share of leads with a failed agent that still succeed (default: failure-rate/2)")
    p.add_argument("--duplicate-rate", type=float, default=0.05,
                   help="share of events delivered twice (default %(default)s)")
    p.add_argument("--hang-rate", type=float, default=0.0, metavar="RATE",
                   help="share of lead runs in which an agent starts and then nothing more is sent for that "
                        "lead, nor the job's end: the server flags the lead and the job stalled after its "
                        "--stall_after (default %(default)s)")
    p.add_argument("--hang-agent", default=None, metavar="NAME",
                   help="the enrichment agent that hangs, spelled any way (ContactExtractionAgent, "
                        "contact_extraction); needs --hang-rate (default: a random agent of the run)")
    p.add_argument("--concurrency", type=int, default=3, help="leads enriched at once per job (default %(default)s)")
    p.add_argument("--user", default="demo", help="user (tenant) id (default %(default)s)")
    p.add_argument("--start-time", default=None,
                   help="virtual clock origin, ISO 8601 UTC (default: now); with --seed and --run-id makes "
                        "every event id repeatable")
    p.add_argument("--salespeople", type=int, default=0, metavar="N",
                   help="also play a sales team of N people (Ana, Bruno, ...) who move enriched cards through "
                        "the people's columns with notes, sometimes two at once on one card (default: none)")
    p.add_argument("--sales-token", default=os.environ.get("LEADBOARD_SALES_TOKEN"),
                   help="bearer token the salespeople move cards with: a board or operator token, since "
                        "worker tokens may not move cards (env LEADBOARD_SALES_TOKEN; default: --token)")
    p.add_argument("--loop", action="store_true", help="keep starting new jobs until Ctrl-C")
    p.add_argument("--json", action="store_true", help="print one JSON object per job instead of a line")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    return p


async def _run(args: argparse.Namespace, options: SimOptions) -> int:
    sales_client: Optional[AsyncClient] = None
    if options.salespeople > 0 and args.sales_token and args.sales_token != args.token:
        sales_client = AsyncClient(args.target, args.sales_token, tls=args.tls)

    def log(line: str) -> None:
        if not args.quiet:
            print(f"leadboard-simulate: {line}", file=sys.stderr if args.json else sys.stdout, flush=True)

    try:
        return await _play(args, options, sales_client, log)
    finally:
        if sales_client is not None:
            await sales_client.close()


async def _play(args: argparse.Namespace, options: SimOptions, sales_client: Optional[AsyncClient],
                log: Callable[[str], None]) -> int:
    status = 0
    async with AsyncClient(args.target, args.token, tls=args.tls, user_id=options.user) as client:
        def play(plan: JobPlan) -> Coroutine[Any, Any, JobResult]:
            return play_job(client, plan, args.speed, wall, sales_client=sales_client, log=log)

        def report(result: JobResult) -> None:
            nonlocal status
            if result.error or result.summary.rejected:
                status = 1
            if args.json:
                print(json.dumps(result.as_dict(), ensure_ascii=False), flush=True)
            elif not args.quiet or result.error:
                print(result.line(), flush=True)

        # Wall-clock stamps when playing in (scaled) real time, so the board's
        # times make sense; the plan's virtual clock when not sleeping.
        wall = args.speed > 0 and args.start_time is None
        if not args.loop:
            results = await asyncio.gather(
                *(play(plan_job(options, i + 1)) for i in range(options.jobs))
            )
            for r in results:
                report(r)
            return status
        next_index = 1
        running: set[asyncio.Task[JobResult]] = set()
        try:
            while True:
                while len(running) < max(1, options.jobs):
                    plan = plan_job(options, next_index)
                    next_index += 1
                    running.add(asyncio.create_task(play(plan)))
                    await asyncio.sleep(0.5 if args.speed > 0 else 0)
                done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    report(task.result())
        finally:
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)


def main(argv: Optional[list[str]] = None) -> int:
    """Entry point of the ``leadboard-simulate`` console script."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not 0.0 <= args.hang_rate <= 1.0:
        parser.error(f"--hang-rate must be between 0 and 1, not {args.hang_rate}")
    if args.hang_agent is not None:
        if args.hang_rate <= 0:
            parser.error("--hang-agent needs --hang-rate (the share of lead runs that hang)")
        try:
            args.hang_agent = enrichment_agent(args.hang_agent)
        except ValueError as e:
            parser.error(f"--hang-agent: {e}")
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 31)
    run_id = args.run_id or os.urandom(3).hex()
    start = None
    if args.start_time:
        parsed = dt.datetime.fromisoformat(args.start_time.replace("Z", "+00:00"))
        start = parsed.astimezone(dt.timezone.utc).replace(tzinfo=None) if parsed.tzinfo else parsed
    options = SimOptions(
        jobs=args.jobs, leads=args.leads, seed=seed, failure_rate=args.failure_rate,
        duplicate_rate=args.duplicate_rate, warning_rate=args.warning_rate, concurrency=args.concurrency,
        user=args.user, run_id=run_id, start_time=start, salespeople=max(0, args.salespeople),
        hang_rate=args.hang_rate, hang_agent=args.hang_agent,
    )
    if not args.quiet and not args.json:
        print(f"leadboard-simulate: target={args.target} seed={seed} run-id={run_id} jobs={args.jobs} "
              f"leads={args.leads} speed={args.speed}"
              + (f" salespeople={args.salespeople}" if args.salespeople > 0 else "")
              + (f" hang-rate={args.hang_rate}" if args.hang_rate > 0 else "")
              + (f" hang-agent={args.hang_agent}" if args.hang_agent else ""), flush=True)
    loop = asyncio.new_event_loop()
    main_task = loop.create_task(_run(args, options))
    try:
        loop.add_signal_handler(signal.SIGTERM, main_task.cancel)
    except (NotImplementedError, RuntimeError):  # pragma: no cover - non-Unix
        pass
    try:
        return loop.run_until_complete(main_task)
    except KeyboardInterrupt:
        main_task.cancel()
        try:
            loop.run_until_complete(main_task)
        except (asyncio.CancelledError, Exception):
            pass
        if not args.quiet:
            print("leadboard-simulate: stopped", file=sys.stderr, flush=True)
        return 0 if args.loop else 130
    except asyncio.CancelledError:
        return 0 if args.loop else 143
    except LeadboardError as e:
        print(f"leadboard-simulate: {e}", file=sys.stderr)
        return 1
    finally:
        loop.close()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
