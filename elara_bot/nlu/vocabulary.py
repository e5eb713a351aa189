"""Base vocabularies of the slot extractor: general-store product types, colours, materials, countries.

The catalog adds its own colours and materials (`retrieval.query_parser.load_vocabulary`) and product
types (`NluVocabulary.with_catalog`); these lists are what the extractor knows without a catalog.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field, replace

from retrieval.options import IRREGULAR_PLURALS
from retrieval.query_parser import Vocabulary

PRODUCT_TYPES = (
    "kettle", "toaster", "blender", "coffee maker", "frying pan", "saucepan", "knife set", "cutting board",
    "water bottle", "travel mug", "lunch box", "tent", "sleeping bag", "backpack", "hiking boot",
    "headlamp", "camping stove", "cooler", "yoga mat", "dumbbell", "jump rope", "bike helmet",
    "running shoe", "sneaker", "sandal", "slipper", "t-shirt", "hoodie", "sweater", "jacket", "raincoat",
    "dress", "skirt", "blouse", "scarf", "beanie", "cap", "sock", "glove", "belt", "wallet", "handbag",
    "watch", "sunglasses", "jeans", "leggings", "shorts", "pajamas", "headphones", "earbuds", "speaker",
    "phone case", "charger", "power bank", "laptop stand", "keyboard", "mouse", "monitor", "webcam",
    "tablet", "smartwatch", "tv", "lamp", "desk lamp", "pillow", "duvet", "towel", "bath mat", "rug",
    "curtain", "candle", "vase", "picture frame", "plant pot", "shampoo", "conditioner", "moisturizer",
    "lipstick", "perfume", "sunscreen", "hair dryer", "toothbrush", "razor", "lego set", "puzzle",
    "board game", "doll", "teddy bear", "toy car", "drone", "kite", "umbrella", "suitcase", "mattress",
    "office chair", "bookshelf", "air fryer", "vacuum cleaner", "rain jacket", "fleece jacket",
    "wool socks", "mixing bowl", "baking tray", "thermos", "hammock", "fishing rod", "tennis racket",
    "salt and pepper grinder", "shoe", "boot", "mat", "bottle", "mug", "bag", "chair", "pan", "helmet",
    "stove", "shirt", "pants", "coat", "trainers", "laptop", "camera", "printer", "router", "grill",
    "jersey", "blanket", "sofa", "table", "desk", "frame", "necklace", "ring", "earrings", "bracelet",
)  # fmt: skip
# plural-only words: the canonical form is the plural
PLURAL_ONLY = frozenset(
    {"sunglasses", "jeans", "leggings", "shorts", "pajamas", "headphones", "earbuds", "wool socks", "pants",
     "trainers", "earrings"}
)  # fmt: skip
COLORS = (
    "black", "white", "red", "blue", "navy", "green", "grey", "gray", "pink", "beige", "brown", "yellow",
    "purple", "orange", "silver", "gold", "olive", "teal", "burgundy", "cream", "khaki", "tan", "charcoal",
    "ivory", "turquoise", "maroon", "lavender", "rose gold", "space grey", "dark blue", "light blue",
    "warm white", "cool white", "soft white", "off white", "off-white",
)  # fmt: skip
MATERIALS = (
    "leather", "cotton", "wool", "linen", "stainless steel", "wood", "bamboo", "silk", "denim", "ceramic",
    "glass", "plastic", "fleece", "suede", "cast iron", "polyester", "nylon", "canvas", "aluminium",
    "aluminum", "cashmere", "merino", "rubber", "copper", "marble",
)  # fmt: skip
COUNTRIES = (
    "canada", "the uk", "uk", "the us", "usa", "the usa", "united states", "united kingdom", "germany",
    "australia", "mexico", "france", "japan", "ireland", "spain", "italy", "netherlands", "india", "brazil",
    "new zealand", "sweden", "norway", "denmark", "poland", "portugal", "switzerland", "austria", "belgium",
    "china", "singapore", "south africa",
)  # fmt: skip


def plural(word: str) -> str:
    """English plural of a product type ("box" -> "boxes", "battery" -> "batteries")."""
    if word in PLURAL_ONLY:
        return word
    for many, singular in IRREGULAR_PLURALS.items():
        if word == singular or word.endswith(f" {singular}"):  # "gaming mouse" -> "gaming mice"
            return word[: len(word) - len(singular)] + many
    if word.endswith(("s", "sh", "ch", "x")):
        return word + "es"
    if word.endswith("y") and word[-2:-1] not in ("a", "e", "i", "o", "u"):
        return word[:-1] + "ies"
    if word.endswith("fe"):
        return word[:-2] + "ves"
    return word + "s"


@dataclass(frozen=True)
class NluVocabulary:
    """Surface form -> canonical value, per slot; ``options``: the catalog's option values as the query
    parser reads them (``retrieval.query_parser.load_vocabulary``), once learnt (``with_options``)."""

    product_types: dict[str, str] = field(default_factory=dict)
    colors: frozenset[str] = frozenset()
    materials: frozenset[str] = frozenset()
    options: Vocabulary | None = None

    @functools.cached_property
    def parser_vocabulary(self) -> Vocabulary:
        """What the query parser reads options with: the catalog's options and the base colours and
        materials (a shopper names colours the catalog does not have; the answer then says so)."""
        if self.options is None:
            return Vocabulary({"color": set(self.colors), "material": set(self.materials)})
        values = {key: set(found) for key, found in self.options.values.items()}
        values.setdefault("color", set()).update(self.colors)
        values.setdefault("material", set()).update(self.materials)
        return Vocabulary(values, dict(self.options.offered_by), self.options.kinds)

    def with_options(self, options: Vocabulary) -> NluVocabulary:
        """This vocabulary reading the catalog's options ("100W", "warm white", "brown frame", "wireless"):
        the slots then carry them as ``options`` ("brightness=100w equivalent;color temperature=warm
        white")."""
        return replace(self, options=options)

    def key(self) -> str:
        """A short hash of the vocabulary (the delexicalised corpus depends on it)."""
        words = sorted(self.product_types) + sorted(self.colors) + sorted(self.materials)
        return hashlib.sha256("\n".join(words).encode()).hexdigest()[:8]

    @classmethod
    def base(cls) -> NluVocabulary:
        return cls().with_catalog(PRODUCT_TYPES, COLORS, MATERIALS)

    def with_catalog(
        self,
        product_types: tuple[str, ...] | list[str],
        colors: tuple[str, ...] | list[str] | set[str],
        materials: tuple[str, ...] | list[str] | set[str],
    ) -> NluVocabulary:
        """This vocabulary plus the catalog's product types (singular), colours and materials."""
        types = dict(self.product_types)
        for name in product_types:
            canonical = " ".join(name.lower().split())
            types.setdefault(canonical, canonical)
            types.setdefault(plural(canonical), canonical)
        return NluVocabulary(
            types,
            self.colors | {c.lower() for c in colors},
            self.materials | {m.lower() for m in materials},
            self.options,
        )
