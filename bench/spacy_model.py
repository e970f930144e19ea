"""Build the Swedish spaCy pipeline Rasa's SpacyNLP loads, without any download.

No pretrained Swedish spaCy model can be fetched here, so we build a blank `sv`
pipeline with the lookup lemmatizer from spacy-lookups-data and save it to a folder.
`make setup` runs this once; config.yml points SpacyNLP at the folder.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.paths import PROJECT_ROOT

DEFAULT_MODEL_DIR = PROJECT_ROOT / "var" / "spacy_sv"


def build(target: Path = DEFAULT_MODEL_DIR) -> Path:
    import spacy

    nlp = spacy.blank("sv")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    target.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(target)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--target", type=Path, default=DEFAULT_MODEL_DIR)
    args = parser.parse_args()
    path = build(args.target)
    print(f"spaCy Swedish pipeline written to {path}")


if __name__ == "__main__":
    main()
