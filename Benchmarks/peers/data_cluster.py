"""db-benchmark group-by queries q1..q10 on two local worker processes with one thread each,
for `flock bench data --cluster --peers`: Dask (distributed.LocalCluster, 2 processes x 1
thread) and Spark (local[2]), on the Parquet file `flock bench data` writes (the rows Flock
queries). The table is read once, id1..id3 made categorical (Dask) and kept in the workers'
memory (persist / cache) before the queries are timed: one warm-up, then --repeats runs.

Prints one JSON line per engine: {"engine", "total" (sum of the query medians), "queries"
{name: median}, "answers" {name: {"rows", "sums"}}} or {"engine", "missing"}.

    python3 -m venv .venv && .venv/bin/pip install -r Benchmarks/peers/requirements-data.txt
    .venv/bin/python Benchmarks/peers/data_cluster.py --parquet groupby.parquet
"""

import argparse
import json
import statistics

from peer_timing import timed

parser = argparse.ArgumentParser()
parser.add_argument("--parquet", required=True)
parser.add_argument("--repeats", type=int, default=3)
parser.add_argument("--engines", default="dask,spark")
args = parser.parse_args()
KEYS = ["id1", "id2", "id3", "id4", "id5", "id6"]


def timed_median(run):
    times, result = timed(run, args.repeats)
    return statistics.median(times), result


def report(engine, results):
    queries = {name: median for name, (median, _) in results.items()}
    answers = {name: answer for name, (_, answer) in results.items()}
    print(json.dumps({"engine": engine, "total": sum(queries.values()), "queries": queries, "answers": answers}),
          flush=True)


def pandas_answer(frame):
    sums = [float(frame[c].sum()) for c in frame.columns if c not in KEYS]
    return {"rows": len(frame), "sums": [s if s == s else 0.0 for s in sums]}


def run_dask():
    import dask.dataframe as dd
    import pandas as pd
    from distributed import Client, LocalCluster
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster):
        x = dd.read_parquet(args.parquet).repartition(npartitions=4)
        x = x.astype({k: "category" for k in ["id1", "id2", "id3"]}).categorize(columns=["id1", "id2", "id3"])
        x = x.persist()
        g = dict(observed=True, dropna=False)

        def q8():
            return x[~x["v3"].isna()][["id6", "v3"]].groupby("id6", dropna=False).apply(
                lambda d: d.nlargest(2, columns="v3"), include_groups=False, meta={"v3": "float64"}) \
                .rename(columns={"v3": "largest2_v3"})

        def q9():
            return x[["id2", "id4", "v1", "v2"]].groupby(["id2", "id4"], **g).apply(
                lambda d: pd.Series({"r2": d[["v1", "v2"]].corr().iloc[0, 1] ** 2}), include_groups=False,
                meta={"r2": "float64"})

        queries = {
            "q1": lambda: x.groupby("id1", **g).agg({"v1": "sum"}),
            "q2": lambda: x.groupby(["id1", "id2"], **g).agg({"v1": "sum"}),
            "q3": lambda: x.groupby("id3", **g).agg({"v1": "sum", "v3": "mean"}),
            "q4": lambda: x.groupby("id4", **g).agg({"v1": "mean", "v2": "mean", "v3": "mean"}),
            "q5": lambda: x.groupby("id6", **g).agg({"v1": "sum", "v2": "sum", "v3": "sum"}),
            "q6": lambda: x.groupby(["id4", "id5"], **g).agg({"v3": ["median", "std"]}, shuffle_method="tasks"),
            "q7": lambda: x.groupby("id3", **g).agg({"v1": "max", "v2": "min"}).assign(
                range_v1_v2=lambda d: d["v1"] - d["v2"])[["range_v1_v2"]],
            "q8": q8,
            "q9": q9,
            "q10": lambda: x.groupby(KEYS, **g).agg({"v3": "sum", "v1": "size"}, split_out=4),
        }
        results = {}
        for name, query in queries.items():
            median, answer = timed_median(lambda: query().compute())
            answer = answer.reset_index(drop=True) if name in ("q8",) else answer.reset_index()
            answer.columns = [c if isinstance(c, str) else "_".join(str(p) for p in c if p) for c in answer.columns]
            results[name] = (median, pandas_answer(answer))
        report("dask", results)


def run_spark():
    from pyspark.sql import SparkSession
    spark = SparkSession.builder.master("local[2]").appName("flock-bench").config("spark.ui.enabled", "false") \
        .config("spark.sql.shuffle.partitions", "4").config("spark.driver.memory", "8g").getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    x = spark.read.parquet(args.parquet).repartition(4).cache()
    x.count()
    x.createOrReplaceTempView("x")
    queries = {
        "q1": "SELECT id1, sum(v1) AS v1 FROM x GROUP BY id1",
        "q2": "SELECT id1, id2, sum(v1) AS v1 FROM x GROUP BY id1, id2",
        "q3": "SELECT id3, sum(v1) AS v1, avg(v3) AS v3 FROM x GROUP BY id3",
        "q4": "SELECT id4, avg(v1) AS v1, avg(v2) AS v2, avg(v3) AS v3 FROM x GROUP BY id4",
        "q5": "SELECT id6, sum(v1) AS v1, sum(v2) AS v2, sum(v3) AS v3 FROM x GROUP BY id6",
        "q6": "SELECT id4, id5, percentile(v3, 0.5) AS median_v3, stddev(v3) AS sd_v3 FROM x GROUP BY id4, id5",
        "q7": "SELECT id3, max(v1) - min(v2) AS range_v1_v2 FROM x GROUP BY id3",
        "q8": "SELECT id6, largest2_v3 FROM (SELECT id6, v3 AS largest2_v3, row_number() OVER "
              "(PARTITION BY id6 ORDER BY v3 DESC) AS order_v3 FROM x WHERE v3 IS NOT NULL) sub WHERE order_v3 <= 2",
        "q9": "SELECT id2, id4, pow(corr(v1, v2), 2) AS r2 FROM x GROUP BY id2, id4",
        "q10": "SELECT id1, id2, id3, id4, id5, id6, sum(v3) AS v3, count(*) AS count FROM x "
               "GROUP BY id1, id2, id3, id4, id5, id6",
    }
    results = {}
    for name, sql in queries.items():
        # The answer's row count and value sums, computed from the whole answer in the timed
        # run (a bare count() would let Spark's optimizer drop the aggregates it does not need).
        values = [c for c in spark.sql(sql).columns if c not in KEYS]
        check = f"SELECT count(*), {', '.join(f'coalesce(sum(`{c}`), 0)' for c in values)} FROM ({sql}) answer"
        median, row = timed_median(lambda: spark.sql(check).collect()[0])
        results[name] = (median, {"rows": row[0], "sums": [float(s) for s in row[1:]]})
    spark.stop()
    report("spark", results)


if __name__ == "__main__":
    for engine in args.engines.split(","):
        try:
            {"dask": run_dask, "spark": run_spark}[engine]()
        except ImportError as error:
            print(json.dumps({"engine": engine, "missing": str(error)}), flush=True)
