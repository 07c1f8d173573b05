"""CPU of one burst's tick, profiled in-process: DUE workflows due at one instant (the
engine benchmark's), their definitions parsed ahead as the engine does a minute before, then
one ``Engine.tick`` with a notifier that posts nowhere, timed with process_time and,
with --profile, under cProfile (top entries by cumulative and own time). With --slack, the
tick posts as ``serve`` does (SlackNotifier, the Web API client with its retry handlers) to
the engine benchmark's Slack stand-in in a process of its own: the posting's CPU counts.

python -m bench.tick_profile [--database postgresql] [--due 1000] [--profile] [--repeat 1]
    [--slack]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time
from contextlib import nullcontext
from datetime import timedelta

from bench.databases import DATA_DIR
from bench.engine_bench import TOKEN, StandIn
from bench.statements_bench import BEFORE, INSTANT, PostingNowhere, burst_database
from bot.slack.notifier import SlackNotifier, make_web_client
from bot.workflows.clock import FixedClock
from bot.workflows.engine import Engine
from bot.workflows.notifier import Notifier


def tick_cpu(
    kind: str,
    due: int,
    profile: bool,
    top: int,
    dump: str | None = None,
    slack: StandIn | None = None,
) -> str:
    """One tick's CPU seconds and per run, after the definitions were parsed ahead; posting
    to ``slack`` when given, else nowhere."""
    with burst_database(kind, due) as (_engine, sessions):
        nowhere = PostingNowhere()
        notifier: Notifier = nowhere
        if slack is not None:
            notifier = SlackNotifier(make_web_client(TOKEN, slack.url))
            posted_before = slack.report()[1]["chat.postMessage"]
        Engine(sessions, FixedClock(BEFORE), lambda _t: nowhere).parse_ahead()
        bot = Engine(sessions, FixedClock(INSTANT + timedelta(seconds=1)), lambda _t: notifier)
        # CPU time, not wall time: waits on the database would otherwise lead the list.
        profiler = cProfile.Profile(time.process_time) if profile else None
        started, cpu = time.perf_counter(), time.process_time()
        if profiler is not None:
            profiler.enable()
        runs = len(bot.tick())
        if profiler is not None:
            profiler.disable()
        cpu, seconds = time.process_time() - cpu, time.perf_counter() - started
        posts = nowhere.posts
        if slack is not None:
            posts = slack.report()[1]["chat.postMessage"] - posted_before
    if profiler is not None:
        if dump:
            profiler.dump_stats(dump)
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(top)
        stats.sort_stats("tottime").print_stats(top)
    return (
        f"{kind}: {runs:,} runs, {posts:,} posts {'to the stand-in' if slack else 'nowhere'}, "
        f"CPU {cpu:.2f} s "
        f"({cpu * 1000 / runs:.2f} ms per run), wall {seconds:.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", default="postgresql")
    parser.add_argument("--due", type=int, default=1000)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--dump", help="also write the profile to this file (pstats)")
    parser.add_argument("--slack", action="store_true", help="post to the Slack stand-in")
    args = parser.parse_args()
    DATA_DIR.mkdir(exist_ok=True)
    with StandIn() if args.slack else nullcontext() as slack:
        for _ in range(args.repeat):
            line = tick_cpu(args.database, args.due, args.profile, args.top, args.dump, slack)
            print(line, flush=True)


if __name__ == "__main__":
    main()
