"""Field types and the base model shared by every scenario section (schema.py and years.py)."""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sim.scenario.names import NAME_PATTERN

PositiveFloat = Annotated[float, Field(gt=0, allow_inf_nan=False)]
NonNegFloat = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Money = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Name = Annotated[
    str,
    Field(
        min_length=1,
        max_length=120,
        pattern=NAME_PATTERN,
        description="A name: no brackets, '=', '*', no leading dot or surrounding spaces.",
    ),
]


class Model(BaseModel):
    """Base of every scenario section: unknown keys forbidden, values immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


# --------------------------------------------------------------------------------------
# Distributions (of durations in hours)
# --------------------------------------------------------------------------------------


class Exponential(Model):
    """Exponential durations (memoryless): constant hazard ``1/mean``."""

    dist: Literal["exponential"]
    mean: PositiveFloat = Field(description="Mean duration, hours.")


class Weibull(Model):
    """Weibull durations; give ``scale`` or ``mean`` (not both). shape>1 means wear-out."""

    dist: Literal["weibull"]
    shape: PositiveFloat = Field(description="Shape k (1 = exponential, >1 wear-out).")
    scale: PositiveFloat | None = Field(None, description="Scale, hours.")
    mean: PositiveFloat | None = Field(None, description="Mean, hours (sets the scale).")

    @model_validator(mode="after")
    def _one_of_scale_mean(self) -> Weibull:
        if (self.scale is None) == (self.mean is None):
            raise ValueError("give exactly one of 'scale' or 'mean'")
        try:  # the mean is scale × Γ(1 + 1/shape): a tiny shape overflows it
            ratio = math.gamma(1.0 + 1.0 / self.shape)
        except OverflowError:
            raise ValueError(f"shape {self.shape:g} is too small to compute with (Γ(1 + 1/shape) overflows)") from None
        scale = self.scale if self.scale is not None else (self.mean or 0.0) / ratio
        if not (0.0 < scale and math.isfinite(scale * ratio)):
            raise ValueError(f"shape {self.shape:g} with this scale or mean gives durations out of floating-point range")
        return self

    def scale_h(self) -> float:
        """The scale parameter in hours, from ``scale`` or ``mean``."""
        if self.scale is not None:
            return self.scale
        assert self.mean is not None
        return self.mean / math.gamma(1.0 + 1.0 / self.shape)


class Lognormal(Model):
    """Lognormal durations given by their mean and coefficient of variation."""

    dist: Literal["lognormal"]
    mean: PositiveFloat = Field(description="Mean duration, hours.")
    cv: PositiveFloat = Field(description="Coefficient of variation (std / mean).")

    @model_validator(mode="after")
    def _computable(self) -> Lognormal:
        _check_cv(self.mean, self.cv, "a lognormal")
        return self


class Gamma(Model):
    """Gamma durations given by their mean and coefficient of variation."""

    dist: Literal["gamma"]
    mean: PositiveFloat = Field(description="Mean duration, hours.")
    cv: PositiveFloat = Field(description="Coefficient of variation (std / mean).")

    @model_validator(mode="after")
    def _computable(self) -> Gamma:
        _check_cv(self.mean, self.cv, "a gamma")
        return self


def _check_cv(mean: float, cv: float, family: str) -> None:
    """Raise ValueError when cv² or mean × cv² (the parameters' scale) leaves floating-point range."""
    if not (0.0 < cv * cv < math.inf and 0.0 < mean * cv * cv < math.inf):
        raise ValueError(f"cv {cv:g} is out of the range {family} can be computed with")


class Deterministic(Model):
    """A fixed duration."""

    dist: Literal["deterministic"]
    value: NonNegFloat = Field(description="The duration, hours.")


class Uniform(Model):
    """Durations uniform on [low, high]."""

    dist: Literal["uniform"]
    low: NonNegFloat = Field(description="Lower bound, hours.")
    high: NonNegFloat = Field(description="Upper bound, hours.")

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.high < self.low:
            raise ValueError("'high' must be at least 'low'")
        return self


def _mean_h(d: Exponential | Weibull | Lognormal | Gamma | Deterministic | Uniform) -> float:
    """Mean of a duration distribution, hours (only zero or positive matters to the checks)."""
    if isinstance(d, Deterministic):
        return d.value
    if isinstance(d, Uniform):
        return (d.low + d.high) / 2
    return 1.0  # the other families have a positive mean by their constraints


Distribution = Annotated[
    Exponential | Weibull | Lognormal | Gamma | Deterministic | Uniform,
    Field(discriminator="dist"),
]
