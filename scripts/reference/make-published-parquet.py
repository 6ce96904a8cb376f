"""Writes test/data/published/*.parquet with pyarrow (an independent Parquet writer) for the
loader tests: the codecs the Hub's files use (ZSTD, LZ4_RAW, SNAPPY) and OpenAI's
summarize_from_feedback `comparisons` layout. Run once (pyarrow from the local wheel cache); the
files are committed, so the tests need no Python.

    python3 scripts/reference/make-published-parquet.py
"""
import pathlib

import pyarrow as pa
import pyarrow.parquet as pq

out = pathlib.Path(__file__).resolve().parents[2] / "test" / "data" / "published"
out.mkdir(parents=True, exist_ok=True)

sft = pa.table({
    "query": ["SUBREDDIT: r/cats\n\nTITLE: my cat\n\nPOST: it ignores me\n\nTL;DR:", "TITLE: b\n\nPOST: c\n\nTL;DR:"],
    "reference_response": [" cat ignores me", " c"],
})
for codec in ["zstd", "lz4", "snappy"]:
    pq.write_table(sft, out / f"sft-{codec}.parquet", compression=codec)

# Two shards, as the Hub names them.
for i, (q, r) in enumerate([("TITLE: one TL;DR:", " 1"), ("TITLE: two TL;DR:", " 2")]):
    pq.write_table(pa.table({"prompt": [q], "completion": [r]}), out / f"train-0000{i}-of-00002.parquet", compression="zstd")

info = pa.struct([("id", pa.string()), ("post", pa.string()), ("title", pa.string()), ("subreddit", pa.string())])
summary = pa.struct([("text", pa.string()), ("policy", pa.string()), ("note", pa.string())])
comparisons = pa.table({
    "info": pa.array([
        {"id": "t3_a", "post": "My cat ignores me.", "title": "Cat trouble", "subreddit": "cats"},
        {"id": "t3_b", "post": "Landlord keeps my car.", "title": "Car", "subreddit": "legaladvice"},
    ], type=info),
    "summaries": pa.array([
        [{"text": "Cat ignores me.", "policy": "sup2", "note": None}, {"text": "dogs", "policy": "ref", "note": None}],
        [{"text": "landlord", "policy": "sup2", "note": None}, {"text": " Landlord keeps borrowing my car.", "policy": "ref", "note": "x"}],
    ], type=pa.list_(summary)),
    "choice": pa.array([0, 1], type=pa.int64()),
    "worker": ["w1", "w2"],
})
pq.write_table(comparisons, out / "comparisons-zstd.parquet", compression="zstd")
for f in sorted(out.iterdir()):
    print(f.name, pq.ParquetFile(f).metadata.row_group(0).column(0).compression)
