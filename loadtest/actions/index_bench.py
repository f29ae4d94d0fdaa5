"""Index/retrieve benchmark on real text and real MiniLM embeddings (offline).

    python -m loadtest.actions.index_bench [--chunks 100000] [--queries 500]

Corpus: docstrings of Python's standard library (one document per module) and the English man
pages under /usr/share/man (roff stripped), chunked with the MiniLM tokenizer. Evenly spaced chunks
are held out; its first words are a query. Prints:

- pipeline throughput: IndexDeployment end to end (parse → chunk → embed → store), chunks/s;
- embedding throughput (chunks/s) and store insert throughput (rows/s) at full size;
- FLAT (the Milvus Lite default): search p50/p95 at full size (top-5, plain and with a
  metadata filter), recall@5 against numpy brute force, and query embedding + search through
  RetrieveDeployment;
- IVF_FLAT at several nprobe: latency and recall@5 against FLAT (Milvus Lite keeps segments
  growing and searches them with a built-in interim index, so nprobe has no effect there).

Embeddings are cached under ``--work-dir`` (the first run embeds the whole corpus: tens of
minutes on 2 CPU cores). A JSON report is written next to them.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import gzip
import hashlib
import json
import os
import re
import sys
import sysconfig
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@dataclass
class Doc:
    source: str
    sections: list[str]  # docstrings of a module, or paragraphs blocks of a man page


@dataclass
class CorpusChunk:
    source: str
    page: int
    start: int
    end: int
    text: str


# ---- corpus --------------------------------------------------------------------------------


def stdlib_docs() -> Iterator[Doc]:
    """One document per stdlib module: its docstrings of 200+ characters."""
    root = Path(sysconfig.get_paths()["stdlib"])
    skip = {"site-packages", "test", "tests", "idlelib", "lib2to3", "__pycache__"}
    for path in sorted(root.rglob("*.py")):
        if skip & set(path.relative_to(root).parts):
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        docs = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                doc = ast.get_docstring(node)
                if doc and len(doc) >= 200:
                    docs.append(doc)
        if docs:
            module = ".".join(path.relative_to(root).with_suffix("").parts)
            yield Doc(f"py:{module}", docs)


_ROFF_ESCAPES = re.compile(r"\\f[BIRP]|\\f\(..|\\\(..|\\[&|^~%]|\\s[-+]?\d|\\\*\(..|\\\*.")


def roff_text(source: str) -> str:
    """Crude roff → text: drop requests and comments, font escapes, hyphen escapes."""
    lines = []
    for line in source.splitlines():
        if line.startswith(('.\\"', "'\\\"")):
            continue
        if line.startswith("."):
            parts = line.split(None, 1)
            if parts[0] in (".SH", ".SS") and len(parts) > 1:
                lines.append("\n" + parts[1].strip('"') + "\n")
            elif parts[0] in (".B", ".I", ".BR", ".IR", ".RB", ".BI", ".IB") and len(parts) > 1:
                lines.append(parts[1].replace('"', ""))
            elif parts[0] in (".PP", ".P", ".LP", ".TP", ".IP", ".sp", ".br"):
                lines.append("\n")
            continue
        lines.append(line)
    text = "\n".join(lines)
    text = _ROFF_ESCAPES.sub("", text).replace("\\-", "-").replace("\\e", "\\")
    return re.sub(r"\n{3,}", "\n\n", text)


def man_docs() -> Iterator[Doc]:
    """English man pages (sections 1-8), one document each."""
    for section in range(1, 9):
        folder = Path(f"/usr/share/man/man{section}")
        for path in sorted(folder.glob("*.gz")) if folder.is_dir() else []:
            try:
                raw = gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")
            except (OSError, EOFError):
                continue
            if raw.startswith(".so "):
                continue  # an alias of another page
            text = roff_text(raw)
            if len(text) >= 500:
                yield Doc(f"man:{path.name.removesuffix('.gz')}", [text])


def build_corpus(total: int, chunk_tokens: int, overlap: int) -> list[CorpusChunk]:
    from deployments.actions.index.chunker import TokenChunker
    from deployments.actions.index.parsers import normalize_text
    from deployments.embed.model import tokenizer_file

    chunker = TokenChunker(tokenizer_file(), chunk_tokens=chunk_tokens, overlap=overlap)
    seen: set[str] = set()
    chunks: list[CorpusChunk] = []
    for generator in (stdlib_docs, man_docs):
        for doc in generator():
            for page, section in enumerate(doc.sections, start=1):
                text = normalize_text(section)
                for c in chunker.chunk(text, page=page):
                    key = hashlib.sha1(c.text.encode()).hexdigest()
                    if c.tokens < chunk_tokens // 4 or key in seen:
                        continue
                    seen.add(key)
                    chunks.append(CorpusChunk(doc.source, page, c.start, c.end, c.text))
                    if len(chunks) >= total:
                        return chunks
    return chunks


def embed_cached(
    chunks: list[CorpusChunk], cache: Path, batch: int = 256
) -> tuple[np.ndarray, float]:
    """Vectors of every chunk, cached on disk (resumable: a partial file is saved as it goes);
    returns them and the chunks/s measured while embedding."""
    from deployments.embed.model import Embedder

    digest = hashlib.sha256("\x00".join(c.text for c in chunks).encode()).hexdigest()[:16]
    path = cache / f"vectors-{len(chunks)}-{digest}.npy"
    partial, rate_path = path.with_suffix(".partial.npy"), path.with_suffix(".rate")
    if path.is_file():
        rate = float(rate_path.read_text()) if rate_path.is_file() else float("nan")
        return np.load(path), rate
    cache.mkdir(parents=True, exist_ok=True)
    embedder = Embedder(batch_size=64)
    vectors = np.zeros((len(chunks), embedder.dimension), dtype=np.float32)
    done = 0
    if partial.is_file():
        saved = np.load(partial)
        done = len(saved)
        vectors[:done] = saved
        print(f"  resuming after {done} cached vectors", flush=True)
    started, first = time.perf_counter(), done
    for i in range(done, len(chunks), batch):
        vectors[i : i + batch] = embedder.embed_array([c.text for c in chunks[i : i + batch]])
        done = min(i + batch, len(chunks))
        if (i // batch) % 20 == 0 or done == len(chunks):
            rate = (done - first) / (time.perf_counter() - started)
            print(f"  embedded {done}/{len(chunks)} ({rate:.0f} chunks/s)", flush=True)
            np.save(partial, vectors[:done])
    rate = (len(chunks) - first) / max(time.perf_counter() - started, 1e-9)
    np.save(path, vectors)
    rate_path.write_text(f"{rate:.2f}")
    partial.unlink(missing_ok=True)
    return vectors, rate


# ---- measurements --------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


async def pipeline_throughput(docs: list[Doc], work: Path, chunk_tokens: int) -> dict:
    """Index text documents through IndexDeployment (local handles): chunks/s end to end."""
    from deployments.actions.index.deployment import IndexDeployment
    from deployments.actions.retrieve.deployment import RetrieveDeployment
    from deployments.embed.deployment import EmbedDeployment
    from deployments.embed.handles import LocalHandle

    db = work / "pipeline.db"
    for leftover in work.glob("pipeline.db*"):
        leftover.unlink() if leftover.is_file() else None
    embed = EmbedDeployment({})
    retrieve = RetrieveDeployment({"uri": str(db)}, LocalHandle(embed))
    index = IndexDeployment(
        {"chunk_tokens": chunk_tokens, "chunk_overlap": 16},
        LocalHandle(embed),
        LocalHandle(retrieve),
    )
    started = time.perf_counter()
    chunks = 0
    for doc in docs:
        data = "\n\n".join(doc.sections).encode()
        result = await index.index({"data": data, "mime": "text/plain", "filename": doc.source})
        chunks += result["chunks"]
    elapsed = time.perf_counter() - started
    retrieve.store.close()
    return {
        "documents": len(docs),
        "chunks": chunks,
        "seconds": elapsed,
        "chunks_per_s": chunks / elapsed,
    }


def load_store(
    path: Path | str, chunks: list[CorpusChunk], vectors: np.ndarray, spec, collection: str = ""
) -> tuple:
    """A fresh ChunkStore holding every chunk, one document per source (add_document: dedup
    lookup, registry rows, batched inserts); returns it and the insert rates. ``path`` is a
    Milvus Lite file (recreated) or a server URI (``collection`` is dropped and recreated)."""
    from pymilvus import MilvusClient

    from deployments.actions.retrieve.store import ChunkInput, ChunkStore, DocumentInput

    options: dict = {}
    if isinstance(path, Path):
        for leftover in path.parent.glob(path.name + "*"):
            leftover.unlink() if leftover.is_file() else None
    else:
        client = MilvusClient(uri=path)
        for name in (collection, f"{collection}_docs"):
            if client.has_collection(name):
                client.drop_collection(name)
        client.close()
        options["collection"] = collection
    store = ChunkStore(
        str(path), dimension=vectors.shape[1], index=spec, insert_batch_rows=2000, **options
    ).open()
    by_source: dict[str, list[int]] = {}
    for i, c in enumerate(chunks):
        by_source.setdefault(c.source, []).append(i)
    raw = {"s": 0.0}
    insert_rows = store._insert_rows

    def timed_insert(rows: list) -> None:
        t = time.perf_counter()
        insert_rows(rows)
        raw["s"] += time.perf_counter() - t

    store._insert_rows = timed_insert
    started = time.perf_counter()
    for source, ids in by_source.items():
        parts = [
            ChunkInput(
                chunks[i].text, vectors[i].tolist(), chunks[i].page, chunks[i].start, chunks[i].end
            )
            for i in ids
        ]
        digest = hashlib.sha256(source.encode()).hexdigest()
        store.add_document(
            DocumentInput(source=source, content_hash=digest, chunks=parts, mime="text/plain")
        )
    rates = {
        "documents_rows_per_s": len(chunks) / (time.perf_counter() - started),
        "raw_insert_rows_per_s": len(chunks) / raw["s"],
        "documents": len(by_source),
    }
    store._insert_rows = insert_rows
    return store, rates


def run_queries(
    store, queries: np.ndarray, position: dict, expr: str = "", top_k: int = 5
) -> tuple[list[list[int]], list[float]]:
    """Corpus positions of the top-k hits of each query, and the latency of each search (ms)."""
    found, times = [], []
    for q in queries:
        t = time.perf_counter()
        hits = store.search([q.tolist()], top_k=top_k, expr=expr)[0]
        times.append((time.perf_counter() - t) * 1000)
        found.append([position[(h["source"], h["page"], h["start"])] for h in hits])
    return found, times


def recall_at(found: list[list[int]], truth: list[list[int]], k: int = 5) -> float:
    return float(
        np.mean([len(set(f[:k]) & set(t[:k])) / k for f, t in zip(found, truth, strict=True)])
    )


async def e2e_search(db: Path, queries: list[str], settings: dict) -> dict:
    """Query text → embed → search through RetrieveDeployment (reopens ``db``)."""
    from deployments.actions.retrieve.deployment import RetrieveDeployment
    from deployments.embed.deployment import EmbedDeployment
    from deployments.embed.handles import LocalHandle

    retrieve = RetrieveDeployment({"uri": str(db), **settings}, LocalHandle(EmbedDeployment({})))
    times = []
    for q in queries:
        t = time.perf_counter()
        await retrieve.search({"query": q, "top_k": 5})
        times.append((time.perf_counter() - t) * 1000)
    retrieve.store.close()
    return {"p50_ms": pct(times, 50), "p95_ms": pct(times, 95), "queries": len(queries)}


def embed_sample_rate(chunks: list[CorpusChunk], n: int = 2048) -> float:
    """Embedding throughput measured now (chunks/s) on ``n`` corpus chunks."""
    from deployments.embed.model import Embedder

    embedder = Embedder(batch_size=64)
    sample = [c.text for c in chunks[:n]]
    embedder.embed_array(sample[:64])  # warm-up
    started = time.perf_counter()
    for i in range(0, len(sample), 256):
        embedder.embed_array(sample[i : i + 256])
    return len(sample) / (time.perf_counter() - started)


# ---- main ----------------------------------------------------------------------------------


def sweep_search_param(
    store, name: str, values: str, qvec, position, flat_pos, truth=None
) -> list[dict]:
    """Latency and recall@5 (vs FLAT, and vs numpy when ``truth`` is given) for each value
    of one search parameter (``values``: comma-separated)."""
    runs = []
    for value in [int(n) for n in values.split(",")]:
        store.index.search_params = {name: value}
        found, times = run_queries(store, qvec, position)
        run = {
            name: value,
            "p50_ms": pct(times, 50),
            "p95_ms": pct(times, 95),
            "recall5_vs_flat": recall_at(found, flat_pos),
        }
        if truth is not None:
            run["recall5_vs_numpy"] = recall_at(found, truth)
        runs.append(run)
        print(
            f"  {name}={value}: p50 {run['p50_ms']:.1f} ms p95 {run['p95_ms']:.1f} ms "
            f"recall@5 vs FLAT {run['recall5_vs_flat']:.3f}",
            flush=True,
        )
    return runs


def hnsw_on_server(args, corpus, vectors, qvec, position, flat_pos) -> dict:
    """HNSW (the gpu profile's index) on a Milvus server: recall@5 vs FLAT per ef."""
    from deployments.actions.retrieve.store import IndexSpec

    build = {"M": args.hnsw_m, "efConstruction": args.hnsw_ef_construction}
    print(f"HNSW on {args.server_uri} {build}:", flush=True)
    spec = IndexSpec("HNSW", "COSINE", build, {"ef": 64})
    store, rates = load_store(args.server_uri, corpus, vectors, spec, "ifz_bench_hnsw")
    result: dict = {"uri": args.server_uri, **build, **rates, "runs": []}
    result["runs"] = sweep_search_param(store, "ef", args.hnsw_ef, qvec, position, flat_pos)
    store.close()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunks", type=int, default=100_000, help="chunks stored")
    parser.add_argument("--queries", type=int, default=500, help="held-out queries")
    parser.add_argument("--chunk-tokens", type=int, default=96, help="tokens per corpus chunk")
    parser.add_argument("--nlist", type=int, default=1024, help="IVF_FLAT clusters")
    parser.add_argument("--nprobe", default="8,16,32,64", help="IVF_FLAT nprobe values to test")
    parser.add_argument(
        "--server-uri",
        default=None,
        help="a Milvus server (http://host:19530): also measure HNSW recall@5 vs FLAT there",
    )
    parser.add_argument("--hnsw-m", type=int, default=16)
    parser.add_argument("--hnsw-ef-construction", type=int, default=200)
    parser.add_argument("--hnsw-ef", default="16,32,64,128", help="HNSW ef values to test")
    parser.add_argument("--pipeline-docs", type=int, default=150, help="docs for the pipeline run")
    parser.add_argument("--work-dir", default=".data/bench/index", help="cache and Lite files")
    args = parser.parse_args(argv)
    work = Path(args.work_dir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    from deployments.actions.retrieve.store import IndexSpec

    report: dict = {
        "chunks": args.chunks,
        "chunk_tokens": args.chunk_tokens,
        "cpus": os.cpu_count(),
    }
    print(
        f"corpus: {args.chunks} chunks of ≤{args.chunk_tokens} tokens + held-out queries",
        flush=True,
    )
    t = time.perf_counter()
    everything = build_corpus(args.chunks + args.queries, args.chunk_tokens, 16)
    stride = max(2, len(everything) // max(args.queries, 1))
    held = set(range(stride // 2, len(everything), stride)[: args.queries])
    corpus = [c for i, c in enumerate(everything) if i not in held][: args.chunks]
    query_chunks = [everything[i] for i in sorted(held)]
    queries = [" ".join(c.text.split()[:20]) for c in query_chunks]
    sources = len({c.source for c in corpus})
    print(
        f"  {len(corpus)} chunks from {sources} documents, {len(queries)} queries "
        f"({time.perf_counter() - t:.0f} s)",
        flush=True,
    )
    report |= {"documents": sources, "queries": len(queries)}

    print("pipeline (IndexDeployment: parse → chunk → embed → store):", flush=True)
    docs = [d for d in stdlib_docs()][: args.pipeline_docs]
    pipe = asyncio.run(pipeline_throughput(docs, work, args.chunk_tokens))
    print(
        f"  {pipe['chunks']} chunks from {pipe['documents']} docs in {pipe['seconds']:.1f} s "
        f"= {pipe['chunks_per_s']:.1f} chunks/s",
        flush=True,
    )
    report["pipeline"] = pipe

    print("embedding:", flush=True)
    rate_now = embed_sample_rate(corpus)
    report["embed_chunks_per_s"] = rate_now
    print(f"  {rate_now:.1f} chunks/s (2048 corpus chunks, batch 64)", flush=True)
    vectors, corpus_rate = embed_cached(corpus, work)
    report["embed_corpus_chunks_per_s"] = corpus_rate
    print(f"  corpus vectors ready (embedded at {corpus_rate:.1f} chunks/s when made)", flush=True)
    from deployments.embed.model import Embedder

    qvec = Embedder().embed_array(queries)
    position = {(c.source, c.page, c.start): i for i, c in enumerate(corpus)}
    truth = np.argsort(-(qvec @ vectors.T), axis=1)[:, :5].tolist()  # exact, numpy

    print("FLAT (the Milvus Lite default: exact):", flush=True)
    flat, flat_rates = load_store(work / "flat.db", corpus, vectors, IndexSpec("FLAT", "COSINE"))
    flat_pos, flat_times = run_queries(flat, qvec, position)
    _, flat_filtered = run_queries(flat, qvec, position, expr='source like "py:%" and page <= 3')
    report["flat"] = flat_rates | {
        "p50_ms": pct(flat_times, 50),
        "p95_ms": pct(flat_times, 95),
        "filtered_p50_ms": pct(flat_filtered, 50),
        "filtered_p95_ms": pct(flat_filtered, 95),
        "recall5_vs_numpy": recall_at(flat_pos, truth),
    }
    r = report["flat"]
    print(
        f"  insert {r['documents_rows_per_s']:.0f} rows/s through add_document "
        f"({r['documents']} documents; raw Milvus inserts {r['raw_insert_rows_per_s']:.0f} "
        f"rows/s)\n  top-5 search p50 {r['p50_ms']:.1f} ms p95 {r['p95_ms']:.1f} ms; with a "
        f"metadata filter p50 {r['filtered_p50_ms']:.1f} ms p95 {r['filtered_p95_ms']:.1f} ms; "
        f"recall@5 vs numpy {r['recall5_vs_numpy']:.3f}",
        flush=True,
    )
    stats = flat.stats()
    flat.close()

    print(f"IVF_FLAT nlist={args.nlist} (Milvus Lite: interim index, nprobe ignored):", flush=True)
    ivf_spec = IndexSpec("IVF_FLAT", "COSINE", {"nlist": args.nlist}, {"nprobe": 16})
    ivf, ivf_rates = load_store(work / "ivf.db", corpus, vectors, ivf_spec)
    report["ivf"] = {"nlist": args.nlist, **ivf_rates, "runs": []}
    report["ivf"]["runs"] = sweep_search_param(
        ivf, "nprobe", args.nprobe, qvec, position, flat_pos, truth
    )
    ivf.close()

    if args.server_uri:
        report["hnsw_server"] = hnsw_on_server(args, corpus, vectors, qvec, position, flat_pos)

    e2e = asyncio.run(e2e_search(work / "flat.db", queries[:200], {"index_type": "FLAT"}))
    report["e2e_search"] = e2e
    print(
        f"query text → embed → FLAT search (RetrieveDeployment): p50 {e2e['p50_ms']:.1f} ms "
        f"p95 {e2e['p95_ms']:.1f} ms",
        flush=True,
    )
    report["store"] = {k: stats[k] for k in ("documents", "chunks", "index")}
    out = work / "report.json"
    out.write_text(json.dumps(report, indent=2))
    print(f"report: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
