"""Times umap-learn on a float32 .npy of points (bench/projection.ts writes the map's PCA points).

Prints `seconds=<s>`, or one line saying why it was skipped (exit 0 either way): umap-learn is
optional (`pip install umap-learn`).
"""
import sys
import time

try:
    import numpy as np
    import umap  # type: ignore
except ImportError as e:  # the benchmark prints this line and goes on
    print(f"umap-learn is not installed ({e.name}); pip install umap-learn")
    sys.exit(0)

points = np.load(sys.argv[1])
start = time.perf_counter()
umap.UMAP(n_neighbors=15, min_dist=0.1, n_epochs=200, random_state=1234).fit_transform(points)
print(f"seconds={time.perf_counter() - start:.2f}")
