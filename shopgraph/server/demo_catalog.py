"""A deterministic demo catalog: six categories, varied prices and tags, some sold out,
a few inactive."""

from datetime import UTC, datetime, timedelta
from typing import Any

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
            products.append(
                {
                    "sku": f"{prefix}-{index + 1:03d}",
                    "name": f"{adjective} {noun}",
                    "description": f"A {adjective.lower()} {noun.lower()} in {color}, "
                    f"from our {category} range.",
                    "price": base_price + (number * 737) % (base_price * 3) + 99 - 100,
                    "stock": 0 if number % 7 == 3 else (number * 13) % 40 + 1,
                    "category": category,
                    "tags": tags,
                    "active": number % 17 != 5,
                    "createdAt": created_at,
                    "updatedAt": created_at,
                }
            )
    return products
