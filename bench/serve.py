"""`make bench-serve`: one Rasa process serving messages, ours against stock Rasa, one run.

Both models are trained on the same data (ours: config.yml; stock: the `rasa init`
config, bench/nlu.py's STOCK_CONFIG) with the same, small number of epochs: epochs change
what a model knows, not how long one prediction takes. Both are served the same way: the
same action server, the REST webhook, a SQLite tracker store of their own. Ours runs as
`make run` runs it (masking channel, masking tracker store, our patches); stock runs
plain Rasa (its `rest` channel and `SQL` tracker store, nothing of ours loaded).

For each: messages/s, p50 and p95 at 1 and at 10 concurrent conversations, the Rasa
server's RSS, and where its CPU goes per message (py-spy samples the Rasa process during
a second 10-concurrent run; each sample is put in the first category found walking from
the innermost frame outwards, PARTS). Prints figures and asserts nothing; the
machine is shared, so read the ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

from bench.answer_eval import load_cases
from bench.harness import load, running, sqlite_stack
from bench.nlu import DEV, HOLDOUT, STOCK_CONFIG, rss_mb
from bench.nlu_evaluation import load_examples
from bench.training import CONFIG, cached_model, with_epochs
from bot.ops.stack import VENV_BIN, free_port, wait_for_http
from bot.paths import VAR_DIR

# py-spy's raw samples of the last run, one file per server, to read with any flame-graph tool.
PROFILE_DIR = VAR_DIR / "bench-serve"

# The parts of one message, each known by a frame on the stack ("function (file:line)" in
# py-spy's output). A sample belongs to the innermost part on its stack, so SQLAlchemy under a
# tracker save is the save, TensorFlow under the NLU parse is the NLU.
PARTS: list[tuple[str, tuple[str, ...]]] = [
    ("action response validation", ("jsonschema/",)),
    ("tracker store: save", ("save (rasa/core/tracker_store.py", "save (bot/adapters/tracker_")),
    (
        "tracker store: read + replay",
        ("retrieve (rasa/core/tracker_store.py", "_retrieve (bot/adapters/tracker_store.py"),
    ),
    ("NLU", ("parse_message (rasa/core/processor.py",)),
    ("policies", ("predict_next_with_tracker", "_predict_next_with_policies")),
    ("action server call", ("run (rasa/core/actions/action.py",)),
    ("lock store", ("lock_store.py",)),
]
# A sample in none of the parts but inside Rasa's handling of a message.
REST_OF_TURN = ("channel, HTTP and the rest of Rasa's turn", ("rasa/", "bot/adapters/", "sanic/"))
# Within the NLU: what the innermost known frame belongs to.
NLU_PARTS: list[tuple[str, tuple[str, ...]]] = [
    ("NLU: our catalog matcher and topic cues", ("bot/core/", "bot/adapters/nlu.py")),
    (
        "NLU: DIET (TensorFlow)",
        ("diet_classifier.py", "tensorflow/", "keras/", "rasa/utils/tensorflow"),
    ),
    ("NLU: featurizers", ("rasa/nlu/featurizers/",)),
]
OTHER = "other (outside a message's turn)"


def _innermost(frames: list[str], parts: list[tuple[str, tuple[str, ...]]]) -> str | None:
    for frame in reversed(frames):
        for name, needles in parts:
            if any(needle in frame for needle in needles):
                return name
    return None


def categorise(stack: str) -> str:
    frames = stack.split(";")
    if "serve_application (" in frames[-1] or "sanic/server/runners.py" in frames[-1]:
        return "event loop (I/O, scheduling)"
    part = _innermost(frames, PARTS) or _innermost(frames, [REST_OF_TURN]) or OTHER
    if part == "NLU":
        return _innermost(frames, NLU_PARTS) or "NLU: other components"
    return part


def read_profile(path: Path) -> Counter[str]:
    """py-spy's raw (collapsed) output: one "frame;frame;... count" line per stack."""
    samples: Counter[str] = Counter()
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            samples[categorise(stack)] += int(count)
    return samples


@contextmanager
def stock_rasa(model: Path, action_url: str, work: Path) -> Iterator[tuple[str, int]]:
    """Plain Rasa on a free port: its own REST channel and SQL tracker store (SQLite)."""
    work.mkdir(parents=True, exist_ok=True)
    credentials = work / "credentials.yml"
    credentials.write_text("rest:\n")
    endpoints = work / "endpoints.yml"
    endpoints.write_text(
        yaml.safe_dump(
            {
                "action_endpoint": {"url": f"{action_url}/webhook"},
                "tracker_store": {"type": "SQL", "dialect": "sqlite", "db": str(work / "stock.db")},
            }
        )
    )
    port = free_port()
    log_path = work / "rasa-stock.log"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "RASA_TELEMETRY_ENABLED": "false"}
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [
                str(VENV_BIN / "rasa"),
                "run",
                "--model",
                str(model),
                "--endpoints",
                str(endpoints),
                "--credentials",
                str(credentials),
                "--interface",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            cwd=work,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for_http(f"{url}/", process, 300, "stock Rasa", log_path)
        yield url, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def start_profiler(pid: int, out: Path) -> subprocess.Popen | None:
    """py-spy sampling `pid` at 200 Hz until it gets SIGINT; None without py-spy."""
    py_spy = shutil.which("py-spy", path=str(VENV_BIN)) or shutil.which("py-spy")
    if not py_spy:
        return None
    spy = subprocess.Popen(
        [py_spy, "record", "--pid", str(pid), "--rate", "200", "--format", "raw"]
        + ["--output", str(out), "--nonblocking"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1)  # attached before the load starts
    return spy


def measure(name: str, url: str, pid: int, texts: list[str], messages: int) -> dict:
    # Each run starts further on in the texts, so a run meets few messages seen before.
    def run(start: int, concurrency: int) -> dict:
        shifted = texts[start % len(texts) :] + texts[: start % len(texts)]
        return asyncio.run(load(url, shifted, messages // 5, 5, concurrency=concurrency))

    asyncio.run(load(url, texts[-10:], 2, 5))  # warm-up: the first prediction builds TF graphs
    one = run(0, 1)
    ten = run(messages, 10)
    figures: dict = {"c1": one, "c10": ten, "rss_mb": rss_mb(pid), "profile": None}
    # A second 10-concurrent run under the profiler; its figures are not the throughput.
    PROFILE_DIR.mkdir(parents=True, exist_ok=True)
    out = PROFILE_DIR / f"{name}.txt"
    spy = start_profiler(pid, out)
    if spy is None:
        return figures
    profiled = run(2 * messages, 10)
    spy.send_signal(signal.SIGINT)
    spy.wait(timeout=60)
    figures["profile"] = {
        "samples": read_profile(out) if out.exists() else Counter(),
        "messages": profiled["messages"],
        "msg_per_s": profiled["msg_per_s"],
    }
    return figures


def print_figures(name: str, figures: dict) -> None:
    for level, label in (("c1", "1 conversation"), ("c10", "10 concurrent")):
        s = figures[level]
        print(
            f"{name:6} {label:15} {s['messages']:4d} msgs {s['errors']:3d} errors | "
            f"{s['msg_per_s']:6.1f} msg/s | p50 {s['p50_ms']:6.1f} ms  p95 {s['p95_ms']:6.1f} ms",
            flush=True,
        )
    print(f"{name:6} Rasa server RSS {figures['rss_mb']:.0f} MB", flush=True)


def print_profile(name: str, figures: dict) -> None:
    prof = figures.get("profile")
    if not prof:
        print(f"{name:6} no profile (py-spy not found)")
        return
    samples: Counter[str] = prof["samples"]
    total = sum(samples.values()) or 1
    # Samples at 200 Hz of every busy thread: 5 ms of CPU each.
    ms_per_message = 5.0 / max(prof["messages"], 1)
    print(
        f"{name:6} CPU per message by part (py-spy, 200 Hz, {prof['messages']} messages at 10 "
        f"concurrent, {prof['msg_per_s']:.1f} msg/s while profiled):"
    )
    for category, count in samples.most_common():
        print(
            f"         {category:42} {100 * count / total:5.1f} %  {count * ms_per_message:6.2f} ms"
        )
    print(f"         {'total':42} 100.0 %  {total * ms_per_message:6.2f} ms")


def message_texts() -> list[str]:
    """Citizens' messages, each once: the dev evaluation's questions (long stories among
    them) and the NLU holdout and dev sets (short questions)."""
    texts = [case.question for case in load_cases("dev")]
    for path in (HOLDOUT, DEV):
        texts.extend(example.text for example in load_examples(path))
    return list(dict.fromkeys(texts))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=10, help="DIET/TED epochs of both models")
    parser.add_argument("--messages", type=int, default=300, help="messages per measured run")
    args = parser.parse_args(argv)

    ours_model = cached_model(
        with_epochs(yaml.safe_load(CONFIG.read_text()), args.epochs), "bench-ours"
    )
    stock_model = cached_model(with_epochs(STOCK_CONFIG, args.epochs), "bench-stock")
    texts = message_texts()
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        work = Path(tmp)
        with running(sqlite_stack(ours_model, work / "ours"), web=False) as stack:
            rasa_pid = stack.processes["rasa"].pid
            results["ours"] = measure("ours", stack.rasa_url, rasa_pid, texts, args.messages)
            with stock_rasa(stock_model, stack.action_url, work / "stock") as (url, pid):
                results["stock"] = measure("stock", url, pid, texts, args.messages)
    for name in ("ours", "stock"):
        print_figures(name, results[name])
    ours, stock = results["ours"], results["stock"]
    print(
        f"ours/stock: 10 concurrent {ours['c10']['msg_per_s'] / stock['c10']['msg_per_s']:.2f}x "
        f"msg/s; 1 conversation p50 {ours['c1']['p50_ms'] / stock['c1']['p50_ms']:.2f}x "
        "(below 1 is faster)"
    )
    for name in ("ours", "stock"):
        print_profile(name, results[name])
    return 0


if __name__ == "__main__":
    sys.exit(main())
