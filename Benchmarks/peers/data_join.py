"""db-benchmark join queries q1..q5 in DuckDB and Polars, for `flock bench data --join --peers`.

Reads the four tables (x, small, medium, big) from the Parquet files Flock writes in
--folder (the same rows Flock joins) into each engine's memory, then times each query: one
warm-up, then --repeats runs, the answer materialized. Prints one JSON line per engine and
query: {"engine", "query", "median", "best", "rows", "sums"} where sums are the sums of v1
and v2 in the answer (the checks Flock compares against its own).

    python3 -m venv .venv && .venv/bin/pip install -r Benchmarks/peers/requirements-data.txt
    .venv/bin/python Benchmarks/peers/data_join.py --folder /tmp/flock-join-10000000 --threads 2
"""

import argparse
import json
import os

from peer_timing import emit, timed

parser = argparse.ArgumentParser()
parser.add_argument("--folder", required=True)
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--repeats", type=int, default=3)
parser.add_argument("--engines", default="duckdb,polars")
args = parser.parse_args()
os.environ["POLARS_MAX_THREADS"] = str(args.threads)
TABLES = ["x", "small", "medium", "big"]


def run_duckdb():
    import duckdb
    con = duckdb.connect()
    con.execute(f"SET threads = {args.threads}")
    for table in TABLES:
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_parquet('{args.folder}/{table}.parquet')")
    queries = {
        "q1": "SELECT x.*, small.id4 AS small_id4, small.v2 FROM x JOIN small USING (id1)",
        "q2": "SELECT x.*, medium.id1 AS medium_id1, medium.id4 AS medium_id4, medium.id5 AS medium_id5, "
              "medium.v2 FROM x JOIN medium USING (id2)",
        "q3": "SELECT x.*, medium.id1 AS medium_id1, medium.id4 AS medium_id4, medium.id5 AS medium_id5, "
              "medium.v2 FROM x LEFT JOIN medium USING (id2)",
        "q4": "SELECT x.*, medium.id1 AS medium_id1, medium.id2 AS medium_id2, medium.id4 AS medium_id4, "
              "medium.v2 FROM x JOIN medium USING (id5)",
        "q5": "SELECT x.*, big.id1 AS big_id1, big.id2 AS big_id2, big.id4 AS big_id4, big.id5 AS big_id5, "
              "big.id6 AS big_id6, big.v2 FROM x JOIN big USING (id3)",
    }
    for name, sql in queries.items():
        times, _ = timed(lambda: con.execute(f"CREATE OR REPLACE TEMP TABLE ans AS {sql}"), args.repeats)
        rows = con.execute("SELECT count(*) FROM ans").fetchall()[0][0]
        sums = [float(v or 0) for v in con.execute("SELECT sum(v1), sum(v2) FROM ans").fetchall()[0]]
        emit("duckdb", name, times, rows, sums)


def run_polars():
    import polars as pl
    x, small, medium, big = (pl.read_parquet(f"{args.folder}/{t}.parquet") for t in TABLES)
    queries = {
        "q1": lambda: x.join(small, on="id1"),
        "q2": lambda: x.join(medium, on="id2"),
        "q3": lambda: x.join(medium, on="id2", how="left"),
        "q4": lambda: x.join(medium, on="id5"),
        "q5": lambda: x.join(big, on="id3"),
    }
    for name, query in queries.items():
        times, answer = timed(query, args.repeats)
        emit("polars", name, times, answer.height, [float(answer["v1"].sum() or 0), float(answer["v2"].sum() or 0)])


if __name__ == "__main__":
    for engine in args.engines.split(","):
        try:
            {"duckdb": run_duckdb, "polars": run_polars}[engine]()
        except ImportError as error:
            print(json.dumps({"engine": engine, "missing": str(error)}), flush=True)
