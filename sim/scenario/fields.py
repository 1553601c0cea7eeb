"""Field types and the base model shared by every scenario section (schema.py and years.py)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

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
