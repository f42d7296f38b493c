"""Wilson score intervals and medians, checked against published values."""

import pytest

from services.reporting.stats import median, wilson_interval


def _rounded(interval):
    return tuple(round(bound, 4) for bound in interval)


def test_wilson_interval_of_3_out_of_5():
    assert _rounded(wilson_interval(3, 5)) == (0.2307, 0.8824)


@pytest.mark.parametrize(
    ("successes", "n", "expected"),
    [
        (0, 10, (0.0, 0.2775)),  # zero successes still gives a useful upper bound
        (10, 10, (0.7225, 1.0)),
        (50, 100, (0.4038, 0.5962)),
        (81, 263, (0.2553, 0.3662)),  # Newcombe (1998), example of a binomial proportion
    ],
)
def test_wilson_interval_matches_known_values(successes, n, expected):
    assert _rounded(wilson_interval(successes, n)) == expected


def test_wilson_interval_stays_within_zero_and_one():
    low, high = wilson_interval(1, 1)
    assert 0.0 <= low <= high <= 1.0


def test_wilson_interval_is_none_without_observations():
    assert wilson_interval(0, 0) is None


def test_wilson_interval_narrows_with_more_observations():
    small_low, small_high = wilson_interval(3, 5)
    large_low, large_high = wilson_interval(300, 500)
    assert large_high - large_low < small_high - small_low


def test_wilson_interval_rejects_more_successes_than_observations():
    with pytest.raises(ValueError):
        wilson_interval(6, 5)


def test_median_of_an_odd_count_is_the_middle_value():
    assert median([10, 2, 5]) == 5


def test_median_of_an_even_count_is_the_mean_of_the_middle_two():
    assert median([2, 4, 10, -3]) == 3


def test_median_of_nothing_is_none():
    assert median([]) is None
