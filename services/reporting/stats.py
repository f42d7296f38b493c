"""Statistics behind the published figures: Wilson score intervals and medians. No I/O."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable

Z95 = 1.959964


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval for `successes` out of `n`; None when n == 0.

    Wilson rather than the normal approximation because cells are often small and rates near 0 or 1,
    where the normal interval runs outside [0, 1] or collapses to a point.
    """
    if n < 0 or not 0 <= successes <= n:
        raise ValueError(f"need 0 <= successes <= n, got {successes} of {n}")
    if n == 0:
        return None
    p = successes / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half_width = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    return max(0.0, centre - half_width), min(1.0, centre + half_width)


def median(values: Iterable[float]) -> float | None:
    """The median of `values` (mean of the middle two for an even count); None when there are none."""
    values = list(values)
    if not values:
        return None
    return statistics.median(values)
