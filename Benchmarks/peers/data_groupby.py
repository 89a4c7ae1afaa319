"""db-benchmark group-by queries q1..q10 in DuckDB, Polars and pandas, for `flock bench data --peers`,
and scans of the table from CSV and Parquet (scan-csv, scan-parquet: the file read into the
engine's own in-memory columns; DuckDB and Polars).

Reads the CSV that `flock data generate groupby` writes (the same rows Flock queries),
makes id1..id3 categorical in every engine (as Flock's table has them), then times each
query: one warm-up, then --repeats runs. Prints one JSON line per engine and query:
{"engine", "query", "median", "best", "rows", "sums"} where sums are the sums of the
result's value columns (the answer checks Flock compares against its own).

    python3 -m venv .venv && .venv/bin/pip install -r Benchmarks/peers/requirements-data.txt
    .venv/bin/python Benchmarks/peers/data_groupby.py --csv groupby.csv --threads 2
"""

import argparse
import json
import os

from peer_timing import emit, timed

parser = argparse.ArgumentParser()
parser.add_argument("--csv", required=True)
parser.add_argument("--parquet", help="the same table as Parquet, for the scan timings")
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--repeats", type=int, default=3)
parser.add_argument("--engines", default="duckdb,polars,pandas")
args = parser.parse_args()
os.environ["POLARS_MAX_THREADS"] = str(args.threads)
os.environ["OMP_NUM_THREADS"] = str(args.threads)
KEYS = ["id1", "id2", "id3", "id4", "id5", "id6"]


def run_duckdb():
    import duckdb
    con = duckdb.connect()
    con.execute(f"SET threads = {args.threads}")
    run_duckdb_scans(con)
    con.execute(f"CREATE TABLE raw AS SELECT * FROM read_csv('{args.csv}', header = true)")
    for key in ["id1", "id2", "id3"]:
        con.execute(f"CREATE TYPE {key}_enum AS ENUM (SELECT DISTINCT {key} FROM raw WHERE {key} IS NOT NULL)")
    con.execute("CREATE TABLE x AS SELECT id1::id1_enum AS id1, id2::id2_enum AS id2, id3::id3_enum AS id3, "
                "id4, id5, id6, v1, v2, v3 FROM raw")
    con.execute("DROP TABLE raw")
    queries = {
        "q1": "SELECT id1, sum(v1) AS v1 FROM x GROUP BY id1",
        "q2": "SELECT id1, id2, sum(v1) AS v1 FROM x GROUP BY id1, id2",
        "q3": "SELECT id3, sum(v1) AS v1, avg(v3) AS v3 FROM x GROUP BY id3",
        "q4": "SELECT id4, avg(v1) AS v1, avg(v2) AS v2, avg(v3) AS v3 FROM x GROUP BY id4",
        "q5": "SELECT id6, sum(v1) AS v1, sum(v2) AS v2, sum(v3) AS v3 FROM x GROUP BY id6",
        "q6": "SELECT id4, id5, quantile_cont(v3, 0.5) AS median_v3, stddev(v3) AS sd_v3 FROM x GROUP BY id4, id5",
        "q7": "SELECT id3, max(v1) - min(v2) AS range_v1_v2 FROM x GROUP BY id3",
        "q8": "SELECT id6, largest2_v3 FROM (SELECT id6, v3 AS largest2_v3, row_number() OVER "
              "(PARTITION BY id6 ORDER BY v3 DESC) AS order_v3 FROM x WHERE v3 IS NOT NULL) sub WHERE order_v3 <= 2",
        "q9": "SELECT id2, id4, pow(corr(v1, v2), 2) AS r2 FROM x GROUP BY id2, id4",
        "q10": "SELECT id1, id2, id3, id4, id5, id6, sum(v3) AS v3, count(*) AS count FROM x "
               "GROUP BY id1, id2, id3, id4, id5, id6",
    }
    for name, sql in queries.items():
        run = lambda: con.execute(f"CREATE OR REPLACE TEMP TABLE ans AS {sql}")
        times, _ = timed(run, args.repeats)
        columns = [c for c in con.execute("SELECT * FROM ans LIMIT 0").fetchdf().columns if c not in KEYS]
        rows = con.execute("SELECT count(*) FROM ans").fetchone()[0]
        sums = [float(con.execute(f'SELECT coalesce(sum("{c}"), 0) FROM ans').fetchone()[0]) for c in columns]
        emit("duckdb", name, times, rows, sums)


VALUES = ["v1", "v2", "v3"]


def run_duckdb_scans(con):
    files = {"scan-csv": f"read_csv('{args.csv}', header = true)"}
    if args.parquet:
        files["scan-parquet"] = f"read_parquet('{args.parquet}')"
    for name, source in files.items():
        times, _ = timed(lambda: con.execute(f"CREATE OR REPLACE TEMP TABLE scanned AS SELECT * FROM {source}"),
                         args.repeats)
        rows = con.execute("SELECT count(*) FROM scanned").fetchall()[0][0]
        sums = [float(con.execute(f"SELECT coalesce(sum({c}), 0) FROM scanned").fetchall()[0][0]) for c in VALUES]
        con.execute("DROP TABLE scanned")
        emit("duckdb", name, times, rows, sums)


def run_polars_scans(pl):
    reads = {"scan-csv": lambda: pl.read_csv(args.csv)}
    if args.parquet:
        reads["scan-parquet"] = lambda: pl.read_parquet(args.parquet)
    for name, read in reads.items():
        times, table = timed(read, args.repeats)
        emit("polars", name, times, table.height, [float(table[c].sum() or 0) for c in VALUES])


def run_polars():
    import polars as pl
    run_polars_scans(pl)
    x = pl.read_csv(args.csv).with_columns(pl.col(["id1", "id2", "id3"]).cast(pl.Categorical))
    queries = {
        "q1": lambda: x.group_by("id1").agg(pl.sum("v1")),
        "q2": lambda: x.group_by("id1", "id2").agg(pl.sum("v1")),
        "q3": lambda: x.group_by("id3").agg(pl.sum("v1"), pl.mean("v3")),
        "q4": lambda: x.group_by("id4").agg(pl.mean("v1"), pl.mean("v2"), pl.mean("v3")),
        "q5": lambda: x.group_by("id6").agg(pl.sum("v1"), pl.sum("v2"), pl.sum("v3")),
        "q6": lambda: x.group_by("id4", "id5").agg(pl.median("v3").alias("median_v3"), pl.std("v3").alias("sd_v3")),
        "q7": lambda: x.group_by("id3").agg((pl.max("v1") - pl.min("v2")).alias("range_v1_v2")),
        "q8": lambda: x.drop_nulls("v3").sort("v3", descending=True).group_by("id6").agg(
            pl.col("v3").head(2).alias("largest2_v3")).explode("largest2_v3"),
        "q9": lambda: x.group_by("id2", "id4").agg((pl.corr("v1", "v2") ** 2).alias("r2")),
        "q10": lambda: x.group_by(KEYS).agg(pl.sum("v3").alias("v3"), pl.len().alias("count")),
    }
    for name, query in queries.items():
        times, answer = timed(query, args.repeats)
        sums = [float(answer[c].sum() or 0) for c in answer.columns if c not in KEYS]
        emit("polars", name, times, answer.height, sums)


def run_pandas():
    import pandas as pd
    x = pd.read_csv(args.csv, dtype={"id1": "category", "id2": "category", "id3": "category"})
    g = dict(as_index=False, sort=False, observed=True, dropna=False)

    def q8():
        return x[~x["v3"].isna()][["id6", "v3"]].sort_values("v3", ascending=False).groupby("id6", **g).head(2)

    def q9():
        r = x[["id2", "id4", "v1", "v2"]].groupby(["id2", "id4"], observed=True, dropna=False, sort=False) \
            .apply(lambda d: pd.Series({"r2": d.corr(numeric_only=True)["v1"]["v2"] ** 2}), include_groups=False)
        return r.reset_index()

    queries = {
        "q1": lambda: x.groupby("id1", **g).agg({"v1": "sum"}),
        "q2": lambda: x.groupby(["id1", "id2"], **g).agg({"v1": "sum"}),
        "q3": lambda: x.groupby("id3", **g).agg({"v1": "sum", "v3": "mean"}),
        "q4": lambda: x.groupby("id4", **g).agg({"v1": "mean", "v2": "mean", "v3": "mean"}),
        "q5": lambda: x.groupby("id6", **g).agg({"v1": "sum", "v2": "sum", "v3": "sum"}),
        "q6": lambda: x.groupby(["id4", "id5"], **g).agg(median_v3=("v3", "median"), sd_v3=("v3", "std")),
        "q7": lambda: x.groupby("id3", **g).agg({"v1": "max", "v2": "min"}).assign(
            range_v1_v2=lambda d: d["v1"] - d["v2"])[["id3", "range_v1_v2"]],
        "q8": q8,
        "q9": q9,
        "q10": lambda: x.groupby(KEYS, **g).agg(v3=("v3", "sum"), count=("v1", "size")),
    }
    for name, query in queries.items():
        if name == "q9" and os.environ.get("FLOCK_PEERS_PANDAS_Q9") != "1":
            continue  # Minutes at 10M rows (a Python function per group); db-benchmark skips it too.
        times, answer = timed(query, args.repeats)
        sums = [float(answer[c].sum()) for c in answer.columns if c not in KEYS]
        emit("pandas", name, times, len(answer), sums)


for engine in args.engines.split(","):
    try:
        {"duckdb": run_duckdb, "polars": run_polars, "pandas": run_pandas}[engine]()
    except ImportError as error:
        print(json.dumps({"engine": engine, "missing": str(error)}), flush=True)
