"""Next months' volumes from past months: two simple, explainable methods with a band.

The input is a series of monthly counts (issues logged per calendar month, oldest first, whole
months only). The output is, for each month ahead, a point forecast and a prediction band at the
asked level (80% by default), never below zero.

- **Seasonal naive** (when there are at least 24 months, or when asked): next January is this
  January. Residuals are the year-on-year changes e_t = y_t - y_{t-12}; with σ their root mean
  square, the band is ŷ ± z·σ·√k, where k is how many years ahead the month is (Hyndman &
  Athanasopoulos, *Forecasting: Principles and Practice*, 3rd ed., §5.5).
- **Linear trend** (otherwise): ordinary least squares y = a + b·t over the months; with
  s² = SSE/(n-2), the band is ŷ ± z·s·√(1 + 1/n + (t - t̄)²/Σ(t - t̄)²), the textbook prediction
  interval of a new observation. With fewer than 3 months: the mean, with a Poisson band
  (σ = √mean).

Both are linear in the counts, so the forecast of a sum of series is the sum of their forecasts:
the projected cost series (Σ count × unit cost per category) is forecast the same way.
"""

import math
from dataclasses import dataclass

Z = {80: 1.2816, 90: 1.6449, 95: 1.9600}
SEASON = 12


@dataclass(frozen=True)
class Forecast:
    method: str
    points: list[tuple[float, float, float]]  # (forecast, lower, upper) per month ahead


def forecast(values: list[float], months: int, *, method: str = "auto", level: int = 80) -> Forecast:
    if method not in ("auto", "seasonal_naive", "linear_trend"):
        raise ValueError(f"unknown forecast method '{method}'")
    z = Z[level]
    if method == "seasonal_naive" or (method == "auto" and len(values) >= 2 * SEASON):
        if len(values) >= SEASON + 1:
            return _seasonal_naive(values, months, z)
        method = "linear_trend"  # too short for a season: fall back, and say so
    return _linear_trend(values, months, z)


def _clamp(point: float, spread: float) -> tuple[float, float, float]:
    return max(point, 0.0), max(point - spread, 0.0), max(point + spread, 0.0)


def _seasonal_naive(values: list[float], months: int, z: float) -> Forecast:
    residuals = [values[t] - values[t - SEASON] for t in range(SEASON, len(values))]
    sigma = math.sqrt(sum(r * r for r in residuals) / len(residuals))
    n = len(values)
    points = []
    for h in range(1, months + 1):
        years_ahead = math.ceil(h / SEASON)
        point = values[n + h - SEASON * years_ahead - 1]
        points.append(_clamp(point, z * sigma * math.sqrt(years_ahead)))
    return Forecast("seasonal_naive", points)


def _linear_trend(values: list[float], months: int, z: float) -> Forecast:
    n = len(values)
    if n == 0:
        return Forecast("none", [(0.0, 0.0, 0.0)] * months)
    if n < 3:
        mean = sum(values) / n
        return Forecast("mean", [_clamp(mean, z * math.sqrt(mean))] * months)
    t_mean = (n - 1) / 2
    y_mean = sum(values) / n
    sxx = sum((t - t_mean) ** 2 for t in range(n))
    slope = sum((t - t_mean) * (y - y_mean) for t, y in enumerate(values)) / sxx
    intercept = y_mean - slope * t_mean
    sse = sum((y - (intercept + slope * t)) ** 2 for t, y in enumerate(values))
    s = math.sqrt(sse / (n - 2))
    points = []
    for h in range(1, months + 1):
        t = n - 1 + h
        spread = z * s * math.sqrt(1 + 1 / n + (t - t_mean) ** 2 / sxx)
        points.append(_clamp(intercept + slope * t, spread))
    return Forecast("linear_trend", points)
