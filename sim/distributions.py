"""Samplers: the one thing a distribution does in the engine is draw a duration.

A sampler is built from a validated scenario distribution (:mod:`sim.scenario.schema`) by
:func:`sampler`; it draws from a numpy Generator passed in, so every draw comes from a
named stream (:mod:`sim.rng`). A deterministic sampler consumes no random numbers.
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np

from sim.scenario import schema


class Sampler(Protocol):
    """Draws one non-negative duration in hours."""

    mean: float

    def sample(self, rng: np.random.Generator) -> float: ...


class Exponential:
    """Exponential with the given mean."""

    __slots__ = ("mean",)

    def __init__(self, mean: float) -> None:
        self.mean = mean

    def sample(self, rng: np.random.Generator) -> float:
        return rng.exponential(self.mean)


class Weibull:
    """Weibull with shape and scale."""

    __slots__ = ("shape", "scale", "mean")

    def __init__(self, shape: float, scale: float) -> None:
        self.shape, self.scale = shape, scale
        self.mean = scale * math.gamma(1.0 + 1.0 / shape)

    def sample(self, rng: np.random.Generator) -> float:
        return self.scale * rng.weibull(self.shape)


class Lognormal:
    """Lognormal from mean and coefficient of variation."""

    __slots__ = ("mu", "sigma", "mean")

    def __init__(self, mean: float, cv: float) -> None:
        s2 = math.log1p(cv * cv)
        self.mu, self.sigma, self.mean = math.log(mean) - s2 / 2.0, math.sqrt(s2), mean

    def sample(self, rng: np.random.Generator) -> float:
        return rng.lognormal(self.mu, self.sigma)


class Gamma:
    """Gamma from mean and coefficient of variation."""

    __slots__ = ("k", "theta", "mean")

    def __init__(self, mean: float, cv: float) -> None:
        self.k = 1.0 / (cv * cv)
        self.theta, self.mean = mean / self.k, mean

    def sample(self, rng: np.random.Generator) -> float:
        return rng.gamma(self.k, self.theta)


class Deterministic:
    """A fixed value; draws nothing."""

    __slots__ = ("mean",)

    def __init__(self, value: float) -> None:
        self.mean = value

    def sample(self, rng: np.random.Generator) -> float:
        return self.mean


class Uniform:
    """Uniform on [low, high]."""

    __slots__ = ("low", "high", "mean")

    def __init__(self, low: float, high: float) -> None:
        self.low, self.high, self.mean = low, high, (low + high) / 2.0

    def sample(self, rng: np.random.Generator) -> float:
        return rng.uniform(self.low, self.high)


def sampler(spec: schema.Distribution, factor: float = 1.0) -> Sampler:
    """Build the sampler for a scenario distribution, every duration multiplied by ``factor``."""
    if isinstance(spec, schema.Exponential):
        return Exponential(spec.mean * factor)
    if isinstance(spec, schema.Weibull):
        return Weibull(spec.shape, spec.scale_h() * factor)
    if isinstance(spec, schema.Lognormal):
        return Lognormal(spec.mean * factor, spec.cv)
    if isinstance(spec, schema.Gamma):
        return Gamma(spec.mean * factor, spec.cv)
    if isinstance(spec, schema.Deterministic):
        return Deterministic(spec.value * factor)
    if isinstance(spec, schema.Uniform):
        return Uniform(spec.low * factor, spec.high * factor)
    raise TypeError(f"unknown distribution {spec!r}")
