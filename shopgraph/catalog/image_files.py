"""Reading an uploaded image safely, and making its renditions (Pillow).

What a file is comes from its bytes, never its name or its declared type: only JPEG, PNG
and WebP open at all (SVG and every other format are refused unread). Its size in pixels
is read from its header and refused over the limit before any pixel is decoded, so a
small file that would decode to gigabytes (a decompression bomb) costs nothing. What is
kept is the pixels, turned upright as its EXIF orientation says, and encoded afresh into
a new image: EXIF (GPS positions, camera serials), XMP, comments and colour profiles are
gone. Animated images keep their first frame.

These functions block on CPU: callers run them in a thread (see `image_work`).
"""

import hashlib
import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from shopgraph.catalog.image_renditions import ImageFormat, height_at
from shopgraph.errors import InvalidInput, Problem

# Pillow's names of the formats accepted; cameras' multi-picture JPEGs open as MPO.
FORMATS = {"JPEG": ImageFormat.JPEG, "MPO": ImageFormat.JPEG, "PNG": ImageFormat.PNG}
FORMATS["WEBP"] = ImageFormat.WEBP
ACCEPTED = ["JPEG", "PNG", "WEBP"]
# WebP cannot encode a side longer than this; nothing longer is accepted, so every
# rendition of every stored image can be made.
MAX_SIDE = 16383
JPEG_QUALITY = 85
WEBP_QUALITY = 80
BACKGROUND = (255, 255, 255)  # under transparent pixels in a JPEG
NOT_ACCEPTED = (
    "The file is not a JPEG, PNG or WebP image; other formats, SVG among them, are refused."
)


@dataclass(frozen=True, slots=True)
class ImageLimits:
    max_bytes: int
    max_pixels: int


@dataclass(frozen=True, slots=True)
class CleanImage:
    """An upload re-encoded from its pixels alone, in the format it came in."""

    data: bytes
    image_format: ImageFormat
    width: int
    height: int
    has_alpha: bool
    digest: str  # SHA-256 of `data`


def refused(message: str, field: str) -> InvalidInput:
    return InvalidInput([Problem(field, message)])


def _opened(data: bytes, field: str) -> Image.Image:
    """The image's header, read; its pixels are not decoded yet."""
    try:
        image = Image.open(io.BytesIO(data), formats=ACCEPTED)
    except UnidentifiedImageError:
        raise refused(NOT_ACCEPTED, field) from None
    except Image.DecompressionBombError:
        raise refused("The image has far too many pixels.", field) from None
    except (OSError, ValueError, SyntaxError) as error:
        raise refused(f"The image could not be read: {error}.", field) from None
    if image.format not in FORMATS:
        image.close()
        raise refused(NOT_ACCEPTED, field)
    return image


def _check_size(image: Image.Image, limits: ImageLimits, field: str) -> None:
    width, height = image.size
    if width < 1 or height < 1 or width > MAX_SIDE or height > MAX_SIDE:
        raise refused(f"Images may be at most {MAX_SIDE} pixels wide and high.", field)
    if width * height > limits.max_pixels:
        message = (
            f"The image is {width} x {height} pixels; at most {limits.max_pixels:,} pixels "
            "are accepted. Scale it down first."
        )
        raise refused(message, field)


def _pixels_only(image: Image.Image) -> Image.Image:
    """The first frame, upright, as RGB or RGBA, in a new image that carries nothing of
    the file but its pixels."""
    image.seek(0)
    upright = ImageOps.exif_transpose(image) or image
    has_alpha = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
    converted = upright.convert("RGBA" if has_alpha else "RGB")
    return Image.frombytes(converted.mode, converted.size, converted.tobytes())


def encode(image: Image.Image, image_format: ImageFormat) -> bytes:
    """Pixels into a file of `image_format`, with no metadata."""
    if image_format is ImageFormat.JPEG and image.mode == "RGBA":
        flat = Image.new("RGB", image.size, BACKGROUND)
        flat.paste(image, mask=image.getchannel("A"))
        image = flat
    out = io.BytesIO()
    if image_format is ImageFormat.JPEG:
        image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    elif image_format is ImageFormat.WEBP:
        image.save(out, "WEBP", quality=WEBP_QUALITY, method=4)
    else:
        image.save(out, "PNG", compress_level=6)
    return out.getvalue()


def clean_upload(data: bytes, limits: ImageLimits, field: str) -> CleanImage:
    """The upload as it will be stored. Raises InvalidInput naming `field` for a file that
    is too large, not an image, of another format, over the pixel limit, or broken."""
    if len(data) > limits.max_bytes:
        raise refused(f"The file is larger than {limits.max_bytes:,} bytes.", field)
    if not data:
        raise refused("The file is empty.", field)
    with _opened(data, field) as image:
        _check_size(image, limits, field)
        image_format = FORMATS[str(image.format)]
        try:
            pixels = _pixels_only(image)
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
            raise refused(f"The image could not be decoded: {error}.", field) from None
    clean = encode(pixels, image_format)
    return CleanImage(
        data=clean,
        image_format=image_format,
        width=pixels.width,
        height=pixels.height,
        has_alpha=pixels.mode == "RGBA",
        digest=hashlib.sha256(clean).hexdigest(),
    )


def render(original: bytes, width: int | None, image_format: ImageFormat) -> bytes:
    """A rendition of a stored image (as `clean_upload` made it): `width` pixels wide (None:
    its own size) in `image_format`."""
    with Image.open(io.BytesIO(original), formats=ACCEPTED) as image:
        if width is not None:
            size = (width, height_at(width, image.width, image.height))
            image.draft("RGB", size)  # JPEG: decode at a fraction of the size when it can
            pixels = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
        else:
            pixels = image.copy()
    return encode(pixels, image_format)
