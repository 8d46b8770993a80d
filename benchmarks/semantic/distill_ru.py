"""Make the Russian word-vector table from navec (inside the natasha wheel), offline, by stem.

Dev-only: run by hand when the table is to be remade, never in CI or at run time. The product
reads the result with numpy alone (kbportal/search/semantic.py), as it reads the English table.

How the shipped table (kbportal/search/data/ru/) was made:

  .venv/bin/pip install navec                     # only to read navec's file format
  pip download --no-deps natasha==1.6.0           # the wheel ships navec's news vectors (MIT)
  unzip natasha-1.6.0-py3-none-any.whl 'natasha/data/emb/*' -d nat
  .venv/bin/python benchmarks/semantic/distill_ru.py \
      --navec nat/natasha/data/emb/navec_news_v1_1B_250K_300d_100q.tar --out kbportal/search/data/ru

Source and licence: navec news_v1 (250K words, 300 dims, trained on 1B words of Russian news)
by Alexander Kukushkin, MIT, as shipped inside the natasha 1.6.0 wheel on PyPI (MIT).

Method: every Cyrillic word of navec's vocabulary is folded (ё -> е) and stemmed with the
Russian snowball stemmer the search index uses; the vectors of the forms of one stem are
averaged, weighted by the forms' corpus counts (so "видео", "видеоролик" keep apart but
"видео/видеоролика/видеоролики" share a row). Stems seen fewer than --min-count times are left
out. The table is centred, reduced with PCA to --dims, and stored as int8 with a float16 scale
per row, the same layout as the English table (words.txt holds the stems).
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from distill import quantise, reduce  # noqa: E402

from kbportal.search.analysis import stem  # noqa: E402

log = logging.getLogger(__name__)
_CYRILLIC_WORD = re.compile(r"^[а-яё]+(?:-[а-яё]+)?$")


def main() -> None:
    """Average navec's forms by stem, reduce, quantise, and write the table."""
    from navec import Navec  # noqa: PLC0415 - dev-only reader of navec's format

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--navec", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--dims", type=int, default=128)
    p.add_argument("--min-count", type=int, default=200)
    args = p.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    navec = Navec.load(str(args.navec))
    sums: dict[str, np.ndarray] = {}
    counts: dict[str, float] = defaultdict(float)
    for word, count in zip(navec.vocab.words, navec.vocab.counts, strict=True):
        if not _CYRILLIC_WORD.match(word):
            continue
        key = stem(word.replace("ё", "е"))
        vec = navec[word].astype(np.float64)
        vec /= np.linalg.norm(vec) or 1.0
        if key in sums:
            sums[key] += count * vec
        else:
            sums[key] = count * vec
        counts[key] += count
    stems = sorted((k for k in sums if counts[k] >= args.min_count), key=lambda k: -counts[k])
    raw = np.vstack([sums[k] / np.linalg.norm(sums[k]) for k in stems]).astype(np.float32)
    q, scale = quantise(reduce(raw, args.dims).astype(np.float32))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "words.txt").write_text("\n".join(stems) + "\n", encoding="utf-8")
    np.save(args.out / "words.i8.npy", q)
    np.save(args.out / "words.scale.npy", scale)
    meta = {
        "vectors": f"navec {navec.meta.id} (MIT), inside natasha 1.6.0 (MIT)",
        "keyed_by": "Russian snowball stem (kbportal.search.analysis.stem)",
        "entries": len(stems),
        "dims": args.dims,
        "min_count": args.min_count,
    }
    (args.out / "words.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    log.info("wrote %d x %d to %s", len(q), args.dims, args.out)


if __name__ == "__main__":
    main()
