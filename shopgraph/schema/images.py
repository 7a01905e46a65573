"""Image types: a product's pictures, served in the sizes and formats a page asks for."""

from typing import ClassVar

import strawberry
from strawberry.types import Info

from shopgraph.catalog import image_renditions
from shopgraph.catalog.image_renditions import Rendition, media_path, rendition_width
from shopgraph.schema.errors import BadUserInput
from shopgraph.schema.nodes import DocumentNode

ImageFormat = strawberry.enum(
    image_renditions.ImageFormat,
    name="ImageFormat",
    description="The file formats images are served in.",
)
MAX_ASKED_SIDE = 10_000


def _asked(name: str, value: int | None) -> int | None:
    if value is not None and not 1 <= value <= MAX_ASKED_SIDE:
        raise BadUserInput(f"`{name}` must be from 1 to {MAX_ASKED_SIDE}.")
    return value


@strawberry.type(description="A picture of a product, stored once and served in many sizes.")
class Image(DocumentNode):
    FIELDS: ClassVar[dict[str, tuple[str, ...]]] = {}  # image documents are read whole

    @strawberry.field(
        description="Where to fetch the image, at most `width` x `height` pixels (its "
        "proportions kept; the width is rounded up to one of the served widths, and never "
        "beyond the image's own). Without `format`, WebP for clients that accept it, else "
        "the image's own format. The URL's content never changes: cache it for good."
    )
    def url(
        self,
        info: Info,
        width: int | None = None,
        height: int | None = None,
        format: ImageFormat | None = None,
    ) -> str:
        document = self.document
        image_width, image_height = document["width"], document["height"]
        served = rendition_width(
            image_width, image_height, _asked("width", width), _asked("height", height)
        )
        path = media_path(document["_id"], document["name"], Rendition(served, format))
        return info.context.settings.media_base_url + path

    @strawberry.field(description="Describes the image for those who cannot see it.")
    def alt_text(self) -> str | None:
        return self.document.get("altText")

    @strawberry.field(description="In pixels, as stored.")
    def width(self) -> int:
        return self.document["width"]

    @strawberry.field(description="In pixels, as stored.")
    def height(self) -> int:
        return self.document["height"]

    @strawberry.field(description="The format it was uploaded in.")
    def format(self) -> ImageFormat:
        return ImageFormat(self.document["format"])
