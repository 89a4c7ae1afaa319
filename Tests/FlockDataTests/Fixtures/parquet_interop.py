"""Parquet interoperability with pyarrow, Polars and DuckDB, driven by ParquetTests.

  write DIR   write pyarrow files (every codec, dictionary and plain, pages v1 and v2,
              delta and byte-stream-split encodings, INT96, nulls, several row groups)
  check DIR   for each DIR/X.parquet that Flock re-wrote as DIR/flock-X.parquet, check
              pyarrow (and Polars, DuckDB when installed) read the same values from both
"""
import datetime
import os
import sys

import pyarrow as pa
import pyarrow.parquet as pq


def table(n=3000):
    day = datetime.date(2020, 1, 1)
    start = datetime.datetime(2021, 5, 1)
    return pa.table({
        "i64": pa.array([None if i % 7 == 0 else i * 3 - 1000 for i in range(n)], pa.int64()),
        "i32": pa.array([i % 100 for i in range(n)], pa.int32()),
        "i8": pa.array([i % 100 - 50 for i in range(n)], pa.int8()),
        "i16": pa.array([None if i % 5 == 0 else i for i in range(n)], pa.int16()),
        "u32": pa.array([i * 1_000_003 % 4_000_000_000 for i in range(n)], pa.uint32()),
        "f32": pa.array([i / 4 for i in range(n)], pa.float32()),
        "f64": pa.array([None if i % 3 == 0 else i * 0.125 for i in range(n)], pa.float64()),
        "b": pa.array([None if i % 11 == 0 else i % 2 == 0 for i in range(n)], pa.bool_()),
        "s": pa.array([None if i % 13 == 0 else f"id{i % 37:03d}" for i in range(n)], pa.string()),
        "u": pa.array([f"unique-{i}-é" for i in range(n)], pa.string()),
        "d": pa.array([day + datetime.timedelta(days=i) for i in range(n)], pa.date32()),
        "ts": pa.array([start + datetime.timedelta(seconds=i * 61) for i in range(n)], pa.timestamp("us")),
        "tms": pa.array([start + datetime.timedelta(seconds=i) for i in range(n)], pa.timestamp("ms")),
        "tns": pa.array([start + datetime.timedelta(microseconds=i * 7) for i in range(n)], pa.timestamp("ns")),
    })


def write(folder):
    t = table()
    for codec in ["none", "snappy", "gzip", "zstd"]:
        for dictionary in [True, False]:
            for version in ["1.0", "2.0"]:
                name = f"{codec}-{'dict' if dictionary else 'plain'}-v{version}.parquet"
                pq.write_table(t, os.path.join(folder, name), compression=codec, use_dictionary=dictionary,
                               row_group_size=1100, data_page_version=version, data_page_size=2048)
    encodings = {"i64": "DELTA_BINARY_PACKED", "i32": "DELTA_BINARY_PACKED", "s": "DELTA_BYTE_ARRAY",
                 "u": "DELTA_LENGTH_BYTE_ARRAY", "f64": "BYTE_STREAM_SPLIT", "f32": "BYTE_STREAM_SPLIT"}
    pq.write_table(t.drop_columns(["b"]), os.path.join(folder, "delta.parquet"), use_dictionary=False,
                   column_encoding=encodings, row_group_size=2000, data_page_version="2.0")
    pq.write_table(t.select(["ts"]), os.path.join(folder, "int96.parquet"), use_deprecated_int96_timestamps=True)
    # A dictionary page limit so small that text falls back to plain pages mid-chunk.
    pq.write_table(t, os.path.join(folder, "fallback.parquet"), dictionary_pagesize_limit=256, data_page_size=512,
                   row_group_size=1100)


def normalized(t):
    """Values as Flock keeps them: timestamps in microseconds, unsigned 32-bit as int64."""
    columns = {}
    for name in t.column_names:
        column = t[name]
        if pa.types.is_timestamp(column.type):
            column = column.cast(pa.timestamp("us"))
        elif column.type == pa.uint32():
            column = column.cast(pa.int64())
        columns[name] = column
    return pa.table(columns)


def check(folder):
    problems = []
    checked = 0
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".parquet") or name.startswith("flock-"):
            continue
        ours = os.path.join(folder, "flock-" + name)
        theirs = normalized(pq.read_table(os.path.join(folder, name)))
        mine = pq.read_table(ours)
        if mine.to_pylist() != theirs.to_pylist():
            problems.append(f"pyarrow reads different values from {ours}")
        try:
            import polars as pl
            if pl.read_parquet(ours).to_dicts() != mine.to_pylist():
                problems.append(f"Polars reads different values from {ours}")
        except ImportError:
            pass
        try:
            import duckdb
            rows = duckdb.sql(f"SELECT * FROM '{ours}'").fetchall()
            if rows != [tuple(row.values()) for row in mine.to_pylist()]:
                problems.append(f"DuckDB reads different values from {ours}")
        except ImportError:
            pass
        checked += 1
    print(f"checked {checked} files")
    for problem in problems:
        print(problem)
    sys.exit(1 if problems or checked == 0 else 0)


if __name__ == "__main__":
    {"write": write, "check": check}[sys.argv[1]](sys.argv[2])
