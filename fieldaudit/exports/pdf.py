"""Real PDFs from HTML, CSS and inline SVG with WeasyPrint (text stays text, maps stay vectors).

The HTML comes from the web layer's templates; this module only turns it into a PDF with the
print stylesheet ``static/css/pdf.css``. WeasyPrint embeds (subsets of) the fonts it uses
(DejaVu Sans from Debian's fonts-dejavu-core). Nothing is fetched while rendering: a document
that names an outside address gets no content from it, so text from a report can never make
the server fetch a URL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import ImageFile

PDF_CSS = Path(__file__).resolve().parent.parent / "static" / "css" / "pdf.css"


def _no_fetching(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    raise ValueError(f"PDFs load nothing from outside: {url[:80]}")


def html_to_pdf(html: str, title: str = "FieldAudit") -> bytes:
    """The HTML document as an A4 PDF (the stylesheet sets page size, margins and breaks)."""
    from weasyprint import CSS, HTML  # imported here: loading pango takes a moment

    # Importing WeasyPrint turns on Pillow's LOAD_TRUNCATED_IMAGES for the whole process; a
    # worker that printed a PDF would then accept truncated photos. Our PDFs embed no raster
    # image, so it is turned off again (photos.py also refuses to decode with it on).
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    del title  # the document's <title> becomes the PDF's title
    document = HTML(string=html, url_fetcher=_no_fetching, base_url=str(PDF_CSS.parent))
    return document.write_pdf(stylesheets=[CSS(filename=str(PDF_CSS))]) or b""
