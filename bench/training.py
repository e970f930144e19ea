"""Train models from code: the quick models the tests use, and the bench's variants.

`make train` trains the full-quality model with config.yml as it is. Tests train a
smaller model (fewer DIET epochs) from the same data, cached under var/test-models by a
hash of everything that goes into it, so a second local run does not train again.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import yaml

from bot.paths import PROJECT_ROOT

TRAINING_DATA = ["data/nlu", "data/rules", "data/stories"]
DOMAIN = PROJECT_ROOT / "domain.yml"
CONFIG = PROJECT_ROOT / "config.yml"


def training_files() -> list[Path]:
    files = [DOMAIN]
    for folder in TRAINING_DATA:
        files.extend(sorted((PROJECT_ROOT / folder).rglob("*.yml")))
    return files


def with_epochs(config: dict, epochs: int | None) -> dict:
    """A copy of a Rasa config with DIET/TED trained for `epochs` epochs."""
    config = yaml.safe_load(yaml.safe_dump(config))
    if epochs is not None:
        for section in ("pipeline", "policies"):
            for component in config.get(section) or []:
                if component.get("name") in (
                    "DIETClassifier",
                    "TEDPolicy",
                    "ResponseSelector",
                    "UnexpecTEDIntentPolicy",
                ):
                    component["epochs"] = epochs
    return config


def train(config: dict, out_dir: Path, name: str, quiet: bool = True) -> tuple[Path, float]:
    """Train with the given config dict; returns the model path and seconds taken."""
    out_dir.mkdir(parents=True, exist_ok=True)
    config_path = out_dir / f"{name}.config.yml"
    config_path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "RASA_TELEMETRY_ENABLED": "false"}
    args = [
        str(Path(sys.executable).parent / "rasa"),
        "train",
        "--domain",
        str(DOMAIN),
        "--config",
        str(config_path),
        "--data",
        *TRAINING_DATA,
        "--out",
        str(out_dir),
        "--fixed-model-name",
        name,
        "--force",
    ]
    if quiet:
        args.append("--quiet")
    started = time.perf_counter()
    result = subprocess.run(args, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    model = out_dir / f"{name}.tar.gz"
    if result.returncode != 0 or not model.exists():
        raise RuntimeError(
            f"rasa train failed ({result.returncode}):\n{result.stdout[-3000:]}\n"
            f"{result.stderr[-3000:]}"
        )
    return model, seconds


def cached_model(config: dict, prefix: str) -> Path:
    """A model of `config` trained once per change of its inputs (the config and every
    training file), kept under var/test-models."""
    digest = hashlib.sha256(yaml.safe_dump(config).encode())
    for path in training_files():
        digest.update(path.read_bytes())
    name = f"{prefix}-{digest.hexdigest()[:16]}"
    out_dir = PROJECT_ROOT / "var" / "test-models"
    model = out_dir / f"{name}.tar.gz"
    if not model.exists():
        model, _ = train(config, out_dir, name)
    return model


def quick_model(epochs: int = 40) -> Path:
    """The small model the tests use, trained once per change of its inputs."""
    return cached_model(with_epochs(yaml.safe_load(CONFIG.read_text()), epochs), "quick")
