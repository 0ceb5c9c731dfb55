"""The harvest engine: positions, the optimal plan, savings and rebuy dates. No I/O."""

from ..domain.assets import ASSET_CLASSES
from .inputs import Profile, ResolvedProfile, resolve_profile
from .lots import Lot
from .plan import POSITION_COLUMNS, SALE_COLUMNS, HarvestPlan, Summary, build_plan, plan_harvest
from .sales import Sale

__all__ = [
    "ASSET_CLASSES",
    "POSITION_COLUMNS",
    "SALE_COLUMNS",
    "HarvestPlan",
    "Lot",
    "Profile",
    "ResolvedProfile",
    "Sale",
    "Summary",
    "build_plan",
    "plan_harvest",
    "resolve_profile",
]
