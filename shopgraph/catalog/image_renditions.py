"""Which renditions of an image exist, and how their URLs and ETags are spelled.

An image is served at its own size or at one of `WIDTHS`, never larger than it is, in
JPEG, PNG or WebP: at most `(len(WIDTHS) + 1) * 3` renditions per image, whatever clients
ask for. A rendition's URL names the image, its width and (unless negotiated) its format:

    /media/<image id>/<name>.webp          its own size, WebP
    /media/<image id>/<name>_w640.webp     640 pixels wide, WebP
    /media/<image id>/<name>_w640          640 wide, WebP if the client accepts it

An image never changes once stored (new bytes are a new image with a new id), so a URL
always means the same bytes and may be cached for good.
"""

import math
import re
import unicodedata
from dataclasses import dataclass
from enum import Enum

from bson import ObjectId

# The widths a page may ask for (CSS pixels x device ratios of common layouts); a width in
# between is rounded up to the next one.
WIDTHS = (64, 128, 256, 384, 512, 768, 1024, 1280, 1600, 2048)
MAX_NAME = 60


class ImageFormat(Enum):
    JPEG = "JPEG"
    PNG = "PNG"
    WEBP = "WEBP"

    @property
    def extension(self) -> str:
        return {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}[self.value]

    @property
    def media_type(self) -> str:
        return f"image/{self.value.lower()}"


BY_EXTENSION = {image_format.extension: image_format for image_format in ImageFormat}
# A name is words joined by "-", so the "_w" before a width cannot be part of it.
_NAME = re.compile(
    r"(?P<name>[a-z0-9]+(?:-[a-z0-9]+)*)(?:_w(?P<width>[1-9][0-9]{0,4}))?(?:\.(?P<ext>[a-z]+))?"
)


@dataclass(frozen=True, slots=True)
class Rendition:
    """One rendition: `width` None is the image's own size; `image_format` None is chosen
    from the client's Accept header when served."""

    width: int | None
    image_format: ImageFormat | None

    def key(self, chosen: ImageFormat) -> str:
        """Where the rendition is recorded on its image, once the format is chosen."""
        return f"{self.width or 'full'}-{chosen.extension}"


def rendition_width(
    image_width: int, image_height: int, width: int | None, height: int | None
) -> int | None:
    """The rendition for a box of at most `width` x `height`: the smallest of `WIDTHS` that
    fills it, keeping the image's proportions; None (its own size) when that is not
    smaller than the image."""
    wanted = image_width
    if width is not None:
        wanted = min(wanted, width)
    if height is not None:
        wanted = min(wanted, math.ceil(height * image_width / image_height))
    chosen = next((w for w in WIDTHS if w >= wanted), None)
    return chosen if chosen is not None and chosen < image_width else None


def height_at(width: int, image_width: int, image_height: int) -> int:
    return max(1, round(image_height * width / image_width))


def media_name(name: str, rendition: Rendition) -> str:
    """The last part of a rendition's URL."""
    width = f"_w{rendition.width}" if rendition.width is not None else ""
    image_format = rendition.image_format
    return f"{name}{width}" + (f".{image_format.extension}" if image_format else "")


def media_path(image_id: ObjectId, name: str, rendition: Rendition) -> str:
    """The path that serves a rendition of an image (`name`: the image's)."""
    return f"/media/{image_id}/{media_name(name, rendition)}"


def parse_media_name(name: str) -> tuple[str, Rendition] | None:
    """The image name and the rendition a URL's last part names; None for anything
    `media_name` cannot make, or a width outside `WIDTHS`."""
    found = _NAME.fullmatch(name) if len(name) <= MAX_NAME + 16 else None
    if found is None:
        return None
    width = int(found["width"]) if found["width"] else None
    if width is not None and width not in WIDTHS:
        return None
    extension = found["ext"]
    if extension is not None and extension not in BY_EXTENSION:
        return None
    return found["name"], Rendition(width, BY_EXTENSION[extension] if extension else None)


def etag(image_id: ObjectId, width: int | None, chosen: ImageFormat) -> str:
    """Strong: an image's bytes never change, so its id, the width and the format name the
    exact bytes of a rendition."""
    return f'"{image_id}-{width or "full"}-{chosen.extension}"'


def name_for(title: str) -> str:
    """A URL-safe name from a product's name: "Classic T-Shirt" -> "classic-t-shirt"."""
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    name = "-".join(words)[:MAX_NAME].strip("-")
    return name or "image"
