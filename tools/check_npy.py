"""Cross-check of the --save-embeddings output with numpy itself.

Usage:
  python3 -m venv /tmp/npyvenv && /tmp/npyvenv/bin/pip install numpy
  npx tsx tools/write_npy_sample.mts /tmp/npy-sample          # or any --save-embeddings folder
  /tmp/npyvenv/bin/python tools/check_npy.py /tmp/npy-sample --pattern

Checks that DIR/embeddings.npy loads with np.load (and memory-maps) as a C-order little-endian
float32 (N, d) array whose data starts at a 64-byte boundary, that DIR/rows.jsonl has one row
description per matrix row, and with --pattern that the values are the sample's a[i, j] = i - j / 8.
"""

import io
import json
import sys
from pathlib import Path

import numpy as np


def main() -> int:
    folder = Path(sys.argv[1])
    npy, rows_path = folder / "embeddings.npy", folder / "rows.jsonl"
    with open(npy, "rb") as f:
        version = np.lib.format.read_magic(f)
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        offset = f.tell()
    assert version == (1, 0), version
    assert offset % 64 == 0, f"data offset {offset} is not 64-byte aligned"
    assert dtype == np.dtype("<f4"), dtype
    assert not fortran
    assert len(shape) == 2, shape

    # Byte for byte what np.save writes for this shape and dtype.
    reference = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        reference, {"descr": "<f4", "fortran_order": False, "shape": shape}
    )
    with open(npy, "rb") as f:
        assert f.read(offset) == reference.getvalue(), "header differs from numpy's own"

    array = np.load(npy, allow_pickle=False)
    mapped = np.load(npy, mmap_mode="r")
    assert array.shape == shape and array.dtype == np.float32 and array.flags.c_contiguous
    assert np.array_equal(array, mapped)
    assert npy.stat().st_size == offset + array.nbytes

    rows = [json.loads(line) for line in rows_path.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == shape[0], f"{len(rows)} rows.jsonl lines for {shape[0]} matrix rows"
    pairs: dict[int, list[int]] = {}
    for row in rows:
        assert set(row) >= {"behavior", "label", "file", "line"}, row
        assert row["label"] in (1, -1) and isinstance(row["line"], int) and row["line"] >= 1
        if "pair" in row:
            pairs.setdefault(row["pair"], []).append(row["label"])
    for pair, labels in pairs.items():
        assert sorted(labels) == [-1, 1], f"pair {pair} has labels {labels}"

    if "--pattern" in sys.argv:
        i, j = np.indices(shape)
        expected = (i - j / 8).astype(np.float32)
        assert np.array_equal(array, expected), "values differ from a[i, j] = i - j / 8"

    print(f"ok: {npy} is {array.dtype.str} {shape}, data at byte {offset}, {len(rows)} rows, {len(pairs)} pairs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
