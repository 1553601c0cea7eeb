"""The warnings a scenario can get before a run: their codes and what each means.

Declared here, beside the file format, so that the reference page documents them;
:mod:`sim.diagnostics` implements them on the built network.
"""

from __future__ import annotations

CHECKS: dict[str, str] = {
    "idle-depot": "An open depot serves no site and no demand stream: its fixed cost, technicians and stock buy nothing.",
    "no-technicians": "A depot without technicians is the nearest depot of sites whose failures need one; they are "
    "served from farther away.",
    "technician-load": "Offered technician load at a depot is at least 1: failures per hour × hours busy per visit "
    "(2 × one-way travel + mean repair) ÷ technicians. Outages queue without bound. With "
    "`technician_dispatch: on_failure` the figure is a lower bound (the wait for the part is left out).",
    "beyond-promise": "A site with a promise that its technician cannot reach in time: travel alone takes longer than "
    "the promise, so every failure there misses it (named per depot, with the depot that could if one can).",
    "null-island": "A site, depot or central warehouse at latitude 0, longitude 0: most likely coordinates left out.",
    "short-stock": "Base stock of a part below its expected demand over the replenishment lead time (demand rate of "
    "the fleet failures and demand streams the depot serves × mean lead time; for central, all depots' demand × "
    "mean factory lead time): by Palm's theorem the fill rate is then below about 50%.",
}
"""Every check, by the code a :class:`Diagnostic` carries, and what it warns of."""
