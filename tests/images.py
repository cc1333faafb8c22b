"""Small real images for tests that send photos: every photo path decodes what it stores (Pillow), so a
signature followed by junk is refused; ``seed`` makes each image's bytes (and SHA-256) distinct."""

from __future__ import annotations

import io

from PIL import Image


def _image(seed: int) -> Image.Image:
    return Image.new("RGB", (4, 3), ((seed * 37) % 256, (seed * 91) % 256, (seed * 13 + 7) % 256))


def png(seed: int = 0) -> bytes:
    """Return a 4×3 PNG whose colour depends on ``seed``."""
    out = io.BytesIO()
    _image(seed).save(out, format="PNG")
    return out.getvalue()


def jpeg(seed: int = 0) -> bytes:
    """Return a 4×3 JPEG whose colour depends on ``seed``."""
    out = io.BytesIO()
    _image(seed).save(out, format="JPEG", quality=90)
    return out.getvalue()
