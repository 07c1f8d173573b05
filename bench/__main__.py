"""``make bench``: runs every benchmark on SQLite and PostgreSQL and prints the figures.

python -m bench [--rows N] [--databases sqlite,postgresql]
                [--records-only | --ack-only | --gate-only | --views-only | --sources-only
                 | --forecast-only | --hubspot-only [--hubspot-deals N]
                 | --hubspot-writes-only [--hubspot-write-deals N]]
                [--scenarios paced,saturated] [--think SECONDS]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys

from bench import (
    ack_bench,
    engine_bench,
    forecast_bench,
    gate_bench,
    hubspot_bench,
    hubspot_write_bench,
    records_bench,
    sources_bench,
    view_bench,
)
from bench.databases import DATA_DIR, empty_database


def machine() -> str:
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, {memory_gib:.0f} GiB, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


def print_records(figures: records_bench.RecordsFigures) -> None:
    typed = figures.timings[records_bench.TYPED_LABEL]
    print(f"\n## Records on {figures.database}: {figures.rows:,} deals")
    print(
        f"import: {figures.import_rows_per_second:,.0f} rows/s "
        f"({figures.import_seconds:.1f} s), peak RSS {figures.import_peak_rss_mb:.0f} MB"
    )
    for label, rate in figures.write_rows_per_second.items():
        print(f"import of {figures.rows // 10:,} more rows {label}: {rate:,.0f} rows/s")
    print(f"criteria match {figures.matched:,} records ({figures.matched / figures.rows:.1%})")
    relative = figures.relative_matched
    print(f"relative-date criteria match {relative:,} records ({relative / figures.rows:.1%})")
    print("| count | ms | x hand-written (same indexes) | x typed table |")
    print("|---|---:|---:|---:|")
    for label, seconds in figures.timings.items():
        suffix = label.removeprefix("ours ").removeprefix("hand-written SQL ")
        hand = figures.timings.get(f"hand-written SQL {suffix}")
        ratio_hand = f"{seconds / hand:.2f}" if hand and label.startswith("ours") else ""
        # The typed table answers the first criteria only.
        ratio_typed = "" if "relative" in label else f"{seconds / typed:.2f}"
        print(f"| {label} | {seconds * 1000:.0f} | {ratio_hand} | {ratio_typed} |")


# The benchmarks that --NAME-only picks one of; the engine's runs only with all of them.
ONLY = ("records", "ack", "gate", "views", "sources", "forecast", "hubspot", "hubspot-writes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--workflows", type=int, default=10_000)
    parser.add_argument("--hubspot-deals", type=int, default=100_000)
    parser.add_argument("--hubspot-write-deals", type=int, default=5_000)
    only = parser.add_mutually_exclusive_group()
    for name in ONLY:
        only.add_argument(f"--{name}-only", action="store_true", help=f"Only the {name} benchmark.")
    ack_bench.add_scenario_options(parser)
    args = parser.parse_args()
    chosen = next((name for name in ONLY if getattr(args, f"{name.replace('-', '_')}_only")), None)

    def wanted(name: str) -> bool:
        return chosen in (None, name)

    DATA_DIR.mkdir(exist_ok=True)
    print(f"machine: {machine()}")
    if wanted("views"):
        view_bench.print_figures(view_bench.run())
    for kind in args.databases.split(","):
        if wanted("sources"):
            with empty_database(kind) as (engine, url):
                sources_bench.print_figures(sources_bench.run(kind, engine, url, args.rows))
        if wanted("hubspot"):
            with empty_database(kind) as (engine, _url):
                hubspot_bench.print_figures(hubspot_bench.run(kind, engine, args.hubspot_deals))
        if wanted("hubspot-writes"):
            with empty_database(kind) as (engine, _url):
                figures = hubspot_write_bench.run(kind, engine, args.hubspot_write_deals)
                hubspot_write_bench.print_figures(figures)
        if wanted("gate"):
            with empty_database(kind) as (engine, _url):
                gate_bench.print_figures(gate_bench.run(kind, engine))
        if wanted("records"):
            with empty_database(kind) as (engine, url):
                print_records(records_bench.run(engine, url, args.rows, DATA_DIR))
        if wanted("forecast"):
            with empty_database(kind) as (engine, url):
                forecast_bench.print_figures(forecast_bench.run(engine, url, args.rows, DATA_DIR))
        if chosen is None:
            engine_bench.run(kind, workflows=args.workflows, records=args.rows)
        if wanted("ack"):
            for scenario in args.scenarios:
                ack_bench.print_figures(
                    ack_bench.run_scenario(kind, scenario, args.think, workers=args.web_workers)
                )
        sys.stdout.flush()


if __name__ == "__main__":
    main()
