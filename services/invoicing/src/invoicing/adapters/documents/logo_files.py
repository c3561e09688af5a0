"""An uploaded logo made safe to put on every document: a PNG decoded and written again (nothing
but its pixels survive: no text chunks, no trailing data), an SVG parsed without entities or DTDs
and rebuilt from an allowlist of drawing elements and attributes (no script, no event handler, no
link outside the image, no embedded image or foreign content).

Anything else, too large or not what it claims to be, is a LogoRefused with the reason.
"""

from __future__ import annotations

import io
import re
import warnings
from xml.etree import ElementTree as ET

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from PIL import Image, UnidentifiedImageError

from invoicing.domain.documents import Logo
from invoicing.domain.invoice_settings import LOGO_MAX_BYTES as MAX_BYTES
from invoicing.domain.invoice_settings import PNG, SVG

MAX_PIXELS = 4096 * 4096  # a small file that decodes to gigabytes is refused (decompression bomb)
_SVG_NS = "http://www.w3.org/2000/svg"
_XLINK_NS = "http://www.w3.org/1999/xlink"

_ELEMENTS = {
    "svg", "g", "path", "rect", "circle", "ellipse", "line", "polyline", "polygon", "text", "tspan",
    "defs", "linearGradient", "radialGradient", "stop", "clipPath", "title", "desc", "use", "symbol",
}  # fmt: skip
_ATTRIBUTES = {
    "id", "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry", "fx", "fy", "width", "height",
    "d", "points", "viewBox", "preserveAspectRatio", "transform", "version", "opacity", "fill",
    "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-linecap", "stroke-linejoin",
    "stroke-miterlimit", "stroke-opacity", "stroke-dasharray", "stroke-dashoffset", "clip-path",
    "clip-rule", "font-family", "font-size", "font-weight", "font-style", "text-anchor",
    "dominant-baseline", "letter-spacing", "offset", "stop-color", "stop-opacity", "gradientUnits",
    "gradientTransform", "spreadMethod", "clipPathUnits", "dx", "dy",
}  # fmt: skip
_LOCAL_URL = re.compile(r"^\s*url\(\s*#[A-Za-z0-9_.:-]+\s*\)\s*$")


class LogoRefused(ValueError):
    """The upload is not a logo this platform will put on documents; the message says why."""


class LogoTypeRefused(LogoRefused):
    """The upload names a type other than PNG or SVG (an unsupported media type, not a bad image)."""


def checked_logo(data: bytes, content_type: str) -> Logo:
    """The logo to store: re-encoded or rebuilt from what was uploaded."""
    kind = content_type.split(";")[0].strip().lower()
    if not data:
        raise LogoRefused("the upload is empty")
    if len(data) > MAX_BYTES:
        raise LogoRefused(f"the logo is {len(data)} bytes; at most {MAX_BYTES} are accepted")
    if kind == PNG:
        return Logo(_clean_png(data), PNG)
    if kind == SVG:
        return Logo(_clean_svg(data), SVG)
    raise LogoTypeRefused(f"a logo is image/png or image/svg+xml, not {kind or 'an unnamed type'}")


def _clean_png(data: bytes) -> bytes:
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise LogoRefused("the body is not a PNG image")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                if img.format != "PNG":
                    raise LogoRefused("the body is not a PNG image")
                if img.width * img.height > MAX_PIXELS:
                    raise LogoRefused(f"the logo is {img.width}x{img.height} pixels; at most 4096x4096")
                img.load()
                pixels = img.convert("RGBA") if img.mode not in ("RGB", "RGBA", "L", "LA") else img
                out = io.BytesIO()
                pixels.save(out, format="PNG", optimize=True)
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError, Warning) as exc:
        raise LogoRefused(f"the PNG cannot be read: {exc}") from None
    return out.getvalue()


def _local(tag: str) -> tuple[str, str]:
    """'{ns}name' -> (ns, name)."""
    if tag.startswith("{"):
        ns, _, name = tag[1:].partition("}")
        return ns, name
    return "", tag


def _clean_svg(data: bytes) -> bytes:
    try:
        root = fromstring(data, forbid_dtd=True)
    except (ET.ParseError, DefusedXmlException, ValueError) as exc:
        raise LogoRefused(f"the SVG cannot be read: {exc}") from None
    if _local(root.tag) != (_SVG_NS, "svg"):
        raise LogoRefused("the body is not an SVG image (its root must be an <svg> element)")
    _clean_element(root)
    ET.register_namespace("", _SVG_NS)
    ET.register_namespace("xlink", _XLINK_NS)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _clean_element(element: ET.Element) -> None:
    for child in list(element):
        ns, name = _local(child.tag) if isinstance(child.tag, str) else ("", "")
        if ns != _SVG_NS or name not in _ELEMENTS:
            element.remove(child)  # script, style, foreignObject, image, a, animation, comments
        else:
            _clean_element(child)
    for attr, value in list(element.attrib.items()):
        ns, name = _local(attr)
        if (ns == _XLINK_NS and name == "href") or (not ns and name == "href"):
            keep = value.strip().startswith("#")
        elif ns:
            keep = False
        else:
            keep = name in _ATTRIBUTES and ("url(" not in value.lower() or bool(_LOCAL_URL.match(value)))
        if not keep:
            del element.attrib[attr]
