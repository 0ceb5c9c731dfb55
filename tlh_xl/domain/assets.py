"""Asset classes: the names users write, the keys rule files use, and what each implies.

Declared here once; every other module (lots, positions, the workbook's dropdown, the
rule files' ``wash_sale.asset_classes``) takes them from here.
"""

from __future__ import annotations

from typing import Literal

from ..errors import InputError

__all__ = [
    "ASSET_CLASSES",
    "CLASS_SPELLINGS",
    "COLLECTIBLE_CLASSES",
    "NFT_CLASSES",
    "RULE_KEYS",
    "AssetClass",
    "parse_asset_class",
]

AssetClass = Literal["Crypto", "NFT", "NFT (collectible)", "Security"]
ASSET_CLASSES: tuple[AssetClass, ...] = ("Crypto", "NFT", "NFT (collectible)", "Security")
NFT_CLASSES: frozenset[AssetClass] = frozenset({"NFT", "NFT (collectible)"})  # sold whole
# Long-term gain or loss on these is collectibles gain (28% group, §1(h)(4), §408(m);
# NFTs by look-through, Notice 2023-27): the user marks the NFTs that are.
COLLECTIBLE_CLASSES: frozenset[AssetClass] = frozenset({"NFT (collectible)"})
# Keys used for these classes in the rule files (wash_sale.asset_classes).
RULE_KEYS: dict[AssetClass, str] = {
    "Crypto": "crypto",
    "NFT": "nft",
    "NFT (collectible)": "nft_collectible",
    "Security": "security",
}


def parse_asset_class(value: object, where: str = "asset class") -> AssetClass:
    known = CLASS_SPELLINGS.get(value) if isinstance(value, str) else None
    if known is not None:
        return known
    text = " ".join(str(value or "").replace("_", " ").split()).lower()
    aliases: dict[str, AssetClass] = {
        "crypto": "Crypto",
        "cryptocurrency": "Crypto",
        "coin": "Crypto",
        "token": "Crypto",
        "nft": "NFT",
        "nft (collectible)": "NFT (collectible)",
        "nft collectible": "NFT (collectible)",
        "collectible": "NFT (collectible)",
        "security": "Security",
        "etf": "Security",
        "etp": "Security",
        "stock": "Security",
    }
    try:
        found = aliases[text]
    except KeyError:
        raise InputError(f"{where}: {value!r} is not one of {', '.join(ASSET_CLASSES)}") from None
    if isinstance(value, str):
        CLASS_SPELLINGS[value] = found
    return found


# Spellings already seen, to their class: the lot parser's fast path looks them up here.
CLASS_SPELLINGS: dict[str, AssetClass] = {name: name for name in ASSET_CLASSES}
