"""The disposition record: one sale or exchange of (part of) a lot.

It is the one shape the harvest plan's sales, the coming transaction ledger's realized
disposals and the coming Form 8949 share. Its figures follow Form 8949's columns: (d)
proceeds, (e) cost or other basis, (g) adjustments and (h) gain or loss, with
(h) = (d) − (e) + (g).

Selling costs (exchange fees, spread) reduce the amount realized (§1001(a), Treas. Reg.
§1.263(a)-1(e); the Form 8949 instructions let them be netted in column (d) or shown
with code E in column (g)). Here they are netted: ``proceeds`` is what was received less
``selling_costs``, and ``selling_costs`` records how much that was. Purchase costs are in
the lot's basis already.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from ..money import ZERO
from .assets import COLLECTIBLE_CLASSES, AssetClass
from .terms import Term

__all__ = ["Adjustment", "Disposition", "is_collectible"]


def is_collectible(term: Term, asset_class: AssetClass) -> bool:
    """A long-term result in the 28% collectibles group (Schedule D line 18); a short-term
    result on a collectible is an ordinary short-term one."""
    return term == "long" and asset_class in COLLECTIBLE_CLASSES


class Adjustment(NamedTuple):
    """A Form 8949 column (f) code with its column (g) amount (negative reduces gain)."""

    code: str
    amount: Decimal


@dataclass(slots=True)  # built once per sale: slots, not frozen, for speed
class Disposition:
    lot_id: str
    asset: str
    asset_class: AssetClass
    wallet: str
    tx_id: str
    acquired: dt.date
    sold: dt.date
    quantity: Decimal
    proceeds: Decimal  # net of selling costs
    cost_basis: Decimal
    gain_loss: Decimal  # proceeds − cost_basis + the adjustments
    term: Term
    selling_costs: Decimal = ZERO  # already subtracted from proceeds
    adjustments: tuple[Adjustment, ...] = ()

    @property
    def collectible(self) -> bool:
        """Long-term gain or loss in the 28% collectibles group (Schedule D line 18)."""
        return is_collectible(self.term, self.asset_class)
