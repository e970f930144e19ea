"""`make bench`: NLU quality and server speed, our config against stock Rasa, one run.

For each config trained on the same data (ours: whitespace tokens with service names
masked; "whitespace": ours without the masking; "spacy": ours with the blank Swedish
spaCy pipeline's tokens and lemmas; "stock": the `rasa init` config):
  - training time,
  - intent accuracy / macro-F1, service-entity accuracy / F1 and fallback rate on the
    holdout (tests/data/nlu_holdout.yml, never trained on),
and for ours and stock, served by the real stack (action server + Rasa, SQLite):
  - REST webhook latency p50/p95 at 1 and 10 concurrent conversations, messages/s,
  - Rasa server RSS after the load,
and the ratio ours/stock. Prints figures; asserts nothing (timings are noisy here).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
from pathlib import Path

import yaml

from bench.harness import load, running, sqlite_stack
from bench.nlu_evaluation import Report, evaluate, load_examples
from bench.training import CONFIG, train, with_epochs
from bot.paths import PROJECT_ROOT

HOLDOUT = PROJECT_ROOT / "tests" / "data" / "nlu_holdout.yml"
DEV = PROJECT_ROOT / "tests" / "data" / "nlu_dev.yml"
SPACY_MODEL_DIR = PROJECT_ROOT / "var" / "spacy_sv"

# The configuration `rasa init` writes in Rasa 3.6 (its commented-out defaults).
STOCK_CONFIG = {
    "recipe": "default.v1",
    "language": "sv",
    "assistant_id": "stock",
    "pipeline": [
        {"name": "WhitespaceTokenizer"},
        {"name": "RegexFeaturizer"},
        {"name": "LexicalSyntacticFeaturizer"},
        {"name": "CountVectorsFeaturizer"},
        {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4},
        {"name": "DIETClassifier", "epochs": 100, "constrain_similarities": True},
        {"name": "EntitySynonymMapper"},
        {"name": "ResponseSelector", "epochs": 100, "constrain_similarities": True},
        {"name": "FallbackClassifier", "threshold": 0.3, "ambiguity_threshold": 0.1},
    ],
    "policies": [
        {"name": "MemoizationPolicy"},
        {"name": "RulePolicy"},
        {"name": "UnexpecTEDIntentPolicy", "max_history": 5, "epochs": 100},
        {"name": "TEDPolicy", "max_history": 5, "epochs": 100, "constrain_similarities": True},
    ],
}


OUR_TOKENIZER = "bot.adapters.nlu.ServiceMaskingTokenizer"


def with_tokenizer(config: dict, tokenizer: str, spacy: bool = False) -> dict:
    """Ours with another tokenizer: plain whitespace, or spaCy's Swedish lemmas."""
    config = yaml.safe_load(yaml.safe_dump(config))
    pipeline = [{"name": "SpacyNLP", "model": str(SPACY_MODEL_DIR)}] if spacy else []
    for component in config["pipeline"]:
        if component["name"] == OUR_TOKENIZER:
            pipeline.append({"name": tokenizer})
        else:
            pipeline.append(component)
    config["pipeline"] = pipeline
    return config


def rss_mb(pid: int) -> float:
    total = 0
    for path in [Path(f"/proc/{pid}/status"), *Path("/proc").glob(f"{pid}/task/*/children")]:
        if path.name == "status" and path.exists():
            for line in path.read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total / 1024


def serve_and_measure(model: Path, texts: list[str], work: Path) -> dict:
    with running(sqlite_stack(model, work)) as stack:
        asyncio.run(load(stack.rasa_url, texts, 2, 5))  # warm-up
        one = asyncio.run(load(stack.rasa_url, texts, 1, 60))
        ten = asyncio.run(load(stack.rasa_url, texts, 10, 20))
        rss = rss_mb(stack.processes["rasa"].pid)
    return {"c1": one, "c10": ten, "rasa_rss_mb": rss}


def nlu_line(name: str, report: Report, seconds: float) -> str:
    return (
        f"{name:10} train {seconds:6.1f} s | intent acc {report.intent_accuracy:.3f} "
        f"macro-F1 {report.intent_macro_f1:.3f} | service acc {report.entity_accuracy:.3f} "
        f"F1 {report.entity_f1:.3f} | fallback {report.fallback_rate:.3f} "
        f"confident-wrong {report.confident_wrong_rate:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--epochs",
        type=int,
        default=None,
        help="override DIET/TED epochs for every config (default: as configured)",
    )
    parser.add_argument("--skip-serving", action="store_true")
    args = parser.parse_args()

    ours = yaml.safe_load(CONFIG.read_text())
    configs = {
        "ours": with_epochs(ours, args.epochs),
        "stock": with_epochs(STOCK_CONFIG, args.epochs),
        "whitespace": with_epochs(with_tokenizer(ours, "WhitespaceTokenizer"), args.epochs),
        "spacy": with_epochs(with_tokenizer(ours, "SpacyTokenizer", spacy=True), args.epochs),
    }
    texts = [e.text for e in load_examples(HOLDOUT)]
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        work = Path(tmp)
        for name, config in configs.items():
            model, seconds = train(config, work / "models", name.replace("+", "_"))
            report = evaluate(model, HOLDOUT)
            results[name] = {"model": model, "train_s": seconds, "report": report}
            print(nlu_line(name, report, seconds), flush=True)
            print(nlu_line("  (dev)", evaluate(model, DEV), seconds), flush=True)
        if not args.skip_serving:
            for name in ("ours", "stock"):
                serving = serve_and_measure(results[name]["model"], texts, work / f"serve-{name}")
                results[name]["serving"] = serving
                for level in ("c1", "c10"):
                    s = serving[level]
                    print(
                        f"{name:10} {level:3} {s['messages']:4d} msgs, {s['errors']} errors | "
                        f"p50 {s['p50_ms']:7.1f} ms p95 {s['p95_ms']:7.1f} ms | "
                        f"{s['msg_per_s']:6.1f} msg/s",
                        flush=True,
                    )
                print(f"{name:10} Rasa server RSS {serving['rasa_rss_mb']:.0f} MB", flush=True)
            ours_s, stock_s = results["ours"]["serving"], results["stock"]["serving"]
            print(
                "ratio ours/stock msg/s: "
                f"c1 {ours_s['c1']['msg_per_s'] / stock_s['c1']['msg_per_s']:.2f}x, "
                f"c10 {ours_s['c10']['msg_per_s'] / stock_s['c10']['msg_per_s']:.2f}x"
            )
    print("\nper-intent table (ours):")
    print(results["ours"]["report"].table())
    print(
        json.dumps(
            {
                k: {"train_s": round(v["train_s"], 1), "summary": v["report"].summary()}
                for k, v in results.items()
            },
            indent=1,
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
