"""A deterministic demo catalog: six categories, varied prices and tags, some sold out,
a few inactive. Some shoes come in sizes (the largest cost more) and some shirts in sizes
and colours, with a few variants sold out; every other product has one variant. Each
product gets a picture drawn from its colour and name (`demo_image`), so a storefront
shows images with no network."""

import io
import textwrap
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from itertools import product as combinations
from typing import Any

from bson import ObjectId
from PIL import Image, ImageDraw, ImageFont

from shopgraph.catalog.variant_rules import OptionSpec, options_document, variants_document
from shopgraph.datasources.product_variants import StoredVariant, new_product

# category -> (SKU prefix, product nouns, base price in cents)
_CATEGORIES: dict[str, tuple[str, list[str], int]] = {
    "apparel": ("APP", ["T-Shirt", "Hoodie", "Rain Jacket", "Wool Socks", "Cap",
                        "Chinos", "Fleece", "Scarf", "Polo", "Beanie", "Parka", "Shorts"], 1900),
    "footwear": ("FTW", ["Trail Runner", "Sneaker", "Hiking Boot", "Sandal", "Loafer",
                         "Slipper", "Rain Boot", "Court Shoe", "Chelsea Boot", "Espadrille",
                         "Clog", "Derby"], 5900),
    "electronics": ("ELC", ["Headphones", "Earbuds", "Speaker", "Charger", "Power Bank",
                            "Keyboard", "Mouse", "Webcam", "Smartwatch", "E-Reader",
                            "USB Hub", "Microphone"], 2900),
    "home": ("HOM", ["Mug", "Teapot", "Cutting Board", "Lamp", "Throw Blanket", "Candle",
                     "Vase", "Cushion", "Clock", "Planter", "Towel Set", "Doormat"], 1500),
    "books": ("BOK", ["Cookbook", "Atlas", "Field Guide", "Novel", "Poetry Collection",
                      "Sketchbook", "Journal", "Biography", "Travel Guide", "Comic",
                      "Dictionary", "Puzzle Book"], 1200),
    "outdoor": ("OUT", ["Tent", "Sleeping Bag", "Backpack", "Water Bottle", "Headlamp",
                        "Camp Stove", "Trekking Poles", "Hammock", "Cooler", "Compass",
                        "Multi-Tool", "Camp Chair"], 3500),
}  # fmt: skip
_ADJECTIVES = ["Classic", "Everyday", "Premium", "Compact", "Organic", "Vintage",
               "Ultralight", "Recycled", "Deluxe", "Essential", "Studio", "Nordic"]  # fmt: skip
_COLORS = ["red", "blue", "green", "black", "white", "grey"]

# SKU -> the options its variants combine. Shoes: EU sizes; shirts: sizes and colours.
_SHOE_SIZES = OptionSpec("Size", ("39", "40", "41", "42", "43", "44", "45"))
_SHIRT_OPTIONS = (
    OptionSpec("Size", ("S", "M", "L", "XL")),
    OptionSpec("Color", ("Black", "White", "Navy")),
)
_WITH_VARIANTS: dict[str, Sequence[OptionSpec]] = {
    "FTW-001": (_SHOE_SIZES,),
    "FTW-002": (_SHOE_SIZES,),
    "FTW-003": (_SHOE_SIZES,),
    "APP-001": _SHIRT_OPTIONS,
    "APP-009": _SHIRT_OPTIONS,
}
LARGE_SIZE_SURCHARGE = 500  # cents, on shoe sizes 44 and up


def _variants(sku: str, price: int, number: int) -> tuple[list[OptionSpec], list[StoredVariant]]:
    """The options and variants of a demo product: one default variant unless it is listed
    in `_WITH_VARIANTS`. Variant stock varies, and every fifth variant is sold out."""
    options = list(_WITH_VARIANTS.get(sku, ()))
    if not options:
        return [], []
    variants = []
    for index, values in enumerate(combinations(*(option.values for option in options))):
        selected = tuple(zip((option.name for option in options), values, strict=True))
        surcharge = LARGE_SIZE_SURCHARGE if options == [_SHOE_SIZES] and values[0] >= "44" else 0
        stock = 0 if (index + number) % 5 == 3 else (index * 7 + number) % 12 + 1
        code = "-".join(value.upper() for value in values)
        variants.append(
            StoredVariant(ObjectId(), f"{sku}-{code}", price + surcharge, selected, stock)
        )
    return options, variants


def demo_products(now: datetime | None = None) -> list[dict[str, Any]]:
    """72 products; the same SKUs every time, so seeding twice adds nothing."""
    now = now or datetime.now(UTC)
    products: list[dict[str, Any]] = []
    for category_index, (category, (prefix, nouns, base_price)) in enumerate(_CATEGORIES.items()):
        for index, noun in enumerate(nouns):
            number = category_index * len(nouns) + index
            adjective = _ADJECTIVES[(index * 5 + category_index) % len(_ADJECTIVES)]
            color = _COLORS[number % len(_COLORS)]
            tags = [color]
            if number % 3 == 0:
                tags.append("sale")
            if number % 4 == 1:
                tags.append("new")
            if number % 5 == 2:
                tags.append("eco")
            created_at = now - timedelta(days=number, hours=index)
            sku = f"{prefix}-{index + 1:03d}"
            price = base_price + (number * 737) % (base_price * 3) + 99 - 100
            fields = {
                "_id": ObjectId(),
                "sku": sku,
                "name": f"{adjective} {noun}",
                "description": f"A {adjective.lower()} {noun.lower()} in {color}, "
                f"from our {category} range.",
                "category": category,
                "tags": tags,
                "active": number % 17 != 5,
                "createdAt": created_at,
                "updatedAt": created_at,
            }
            options, variants = _variants(sku, price, number)
            if not variants:
                stock = 0 if number % 7 == 3 else (number * 13) % 40 + 1
                variants = [StoredVariant(fields["_id"], sku, price, (), stock)]
            stocks = {variant.id: variant.stock for variant in variants}
            products.append(
                new_product(fields, options_document(options), variants_document(variants), stocks)
            )
    return products


# The demo colours (the first tag of each product), as drawn.
_RGB = {
    "red": (196, 58, 49),
    "blue": (46, 99, 168),
    "green": (52, 128, 78),
    "black": (38, 38, 42),
    "white": (232, 230, 224),
    "grey": (128, 131, 136),
}
IMAGE_SIZE = (800, 600)


def _ink_on(background: tuple[int, int, int]) -> tuple[int, int, int]:
    light = sum(background) / 3 > 150
    return (30, 30, 30) if light else (250, 250, 250)


def demo_image(product: Mapping[str, Any]) -> bytes:
    """A JPEG of the product's colour with its name and category written on it."""
    colour = next((_RGB[tag] for tag in product.get("tags") or () if tag in _RGB), _RGB["grey"])
    width, height = IMAGE_SIZE
    backdrop = tuple(round(c * 0.35 + 255 * 0.65) for c in colour)
    image = Image.new("RGB", IMAGE_SIZE, backdrop)  # type: ignore[arg-type]
    draw = ImageDraw.Draw(image)
    margin = 60
    draw.rounded_rectangle((margin, margin, width - margin, height - margin), 48, fill=colour)
    name = "\n".join(textwrap.wrap(str(product.get("name", "")), 16)) or "?"
    font = ImageFont.load_default(size=64)
    draw.multiline_text(
        (width / 2, height / 2 - 20), name, font=font, fill=_ink_on(colour), anchor="mm",
        align="center", spacing=12,
    )  # fmt: skip
    small = ImageFont.load_default(size=30)
    label = str(product.get("category", "")).upper()
    draw.text(
        (width / 2, height - margin - 50), label, font=small, fill=_ink_on(colour), anchor="mm"
    )
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()
