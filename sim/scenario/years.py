"""The ``market:`` section of a multi-year scenario (``years: N``): rivals, choice, arrivals, will-fit parts.

A scenario with ``years`` runs year after year on a changing installed base (see
docs/years.md). Each customer site buys its machines together and replaces them at the end
of their life; it then chooses between this maker and the rivals listed here by a
multinomial logit over its annual cost. New customers arrive as clones of listed sites.
Will-fit parts: third-party parts a customer buys instead of the maker's by a fixed rule.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from sim.scenario.fields import (
    Distribution,
    Model,
    Money,
    Name,
    NonNegFloat,
    PositiveFloat,
)


class Rival(Model):
    """A rival maker, not simulated in detail: a price and a stated service level."""

    name: Name = Field(description="Rival name (a supplier a customer may choose).")
    machine_price: Money = Field(description="Price of the rival's machine that replaces one of the maker's.")
    restore_h: NonNegFloat = Field(description="Rival's mean restore time per failure (failure to running again), hours.")
    failure_rate_factor: PositiveFloat = Field(
        1.0, description="Rival machine's failure rate ÷ the maker's machine's nominal failure rate."
    )
    parts_price_factor: NonNegFloat = Field(1.0, description="Rival's part price ÷ the maker's part price (per failure).")
    constant: float | None = Field(
        None,
        description=(
            "Alternative-specific constant of the logit (utils); default ln(choice.rival_attraction ÷ number of rivals)."
        ),
    )


class Choice(Model):
    """Multinomial logit of a customer's choice of supplier, over annual cost per machine (docs/years.md)."""

    sensitivity: NonNegFloat = Field(
        0.5,
        description=(
            "Utils lost per 100% of extra annual cost (cost ÷ the customer's current supplier's cost); "
            "0 = choice ignores cost."
        ),
    )
    rival_attraction: PositiveFloat = Field(
        5.0,
        description=(
            "Odds of choosing the rivals over the maker at equal cost and no switching cost "
            "(5, with sensitivity 0.5: 65-83% of 'satisfied' customers switch, Bain's 65-85%; docs/years.md)."
        ),
    )
    switching_cost: Money = Field(
        0.0, description="One-off cost per machine of changing supplier (retraining, spare stocks), annualised over the life."
    )
    maker_constant: float = Field(0.0, description="The maker's alternative-specific constant (utils).")
    churn: bool = Field(True, description="False: every customer buys again from its supplier (no choice is drawn).")


class WillFitRule(Model):
    """When a maker's customer buys the will-fit part instead of the maker's (exact, deterministic)."""

    max_price_ratio: PositiveFloat = Field(
        1.5, description="Buy will-fit when maker's part price ÷ will-fit price exceeds this."
    )
    max_restore_h: PositiveFloat = Field(
        48.0, description="... or when the site's mean restore time per failure last year exceeds this, hours."
    )


class WillFit(Model):
    """A cheaper third-party alternative to one of the maker's parts, sold by parts shops."""

    part: Name = Field(description="The maker's part it replaces (must be listed in parts).")
    price: Money = Field(description="Price the customer pays the parts shop per unit.")
    time_to_failure_factor: PositiveFloat = Field(
        1.0,
        description=(
            "Multiplies the component's time to failure (e.g. 0.6 = fails 1/0.6 times as often); "
            "ignored when time_to_failure_h is given."
        ),
    )
    time_to_failure_h: Distribution | None = Field(
        None,
        description=(
            "The copy's own operating hours between failures (any distribution), times the site's "
            "service-plan factor; default: the component's × time_to_failure_factor."
        ),
    )
    lead_time_h: NonNegFloat = Field(
        4.0, description="Time from failure until the customer has the part from a parts shop, hours."
    )
    rule: WillFitRule = Field(default_factory=WillFitRule)


class Market(Model):
    """Customers over years: rivals, the choice model, new customers, will-fit parts, discounting."""

    discount_rate_per_year: NonNegFloat = Field(0.08, description="Discount rate of the NPV, per year.")
    rivals: list[Rival] = Field(default_factory=list, description="Rival makers a customer may choose.")
    choice: Choice = Field(default_factory=Choice)
    new_customers_per_year: NonNegFloat = Field(
        0.0, description="Poisson mean of new customers arriving per year (0 = none)."
    )
    new_customer_templates: list[Name] = Field(
        default_factory=list,
        description="Sites a new customer is a copy of (place, machines, costs), picked at random; default every site.",
    )
    initial_age_years: dict[Name, Annotated[float, Field(ge=0)]] = Field(
        default_factory=dict,
        description="Machine age of a site at the start, years; default ages spread evenly over the life in file order.",
    )
    willfit: list[WillFit] = Field(default_factory=list, description="Will-fit alternatives, one per part at most.")


__all__ = ["Choice", "Market", "Rival", "WillFit", "WillFitRule"]
