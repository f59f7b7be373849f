"""Plain text at the trust boundary: no control characters in what is stored or sent as XML.

Control characters (C0 ``U+0000``-``U+001F`` except tab, line feed and carriage return; DEL
``U+007F``; C1 ``U+0080``-``U+009F``) have no place in a description, a reason or an area name.
XML 1.0 cannot carry C0 characters at all (one stored ``\\x0b`` made Open311's ``requests.xml``
unreadable) and PostgreSQL cannot store NUL (a 500 on PostGIS). Lone surrogates and U+FFFE/U+FFFF
are treated the same way: they cannot be encoded as UTF-8 or are not XML characters.

Each input boundary either refuses or strips, and this is why:

* **Refuse** (``text_problem``): the JSON API (``api/parsing.py``), Open311 POST
  (``open311/posting.py``) and ``reports.check_report`` behind both. Their clients are
  programs: they are told which field is wrong (422, or Open311's 400 list) and can fix it, and
  what is stored is exactly what was sent, so an idempotent resubmission by UUID compares the
  same content. The field app strips before it queues a report (a text pasted from a word
  processor carries ``\\x0b`` line breaks a volunteer cannot see), so no volunteer is left with a
  held report over an invisible character.
* **Strip** (``clean_text``/``clean_line``): the web forms (``web/forms.py``, and the lifecycle's
  reasons and notes) and the area importers (``area_import.py``, ``osm.py``). A person who pasted
  text cannot act on an error about a character they cannot see, and refusing would lose what
  they wrote; imported names come from third parties (anyone editing OpenStreetMap) that an
  administrator cannot correct at the source, and one bad name must not stop an import.
  Line breaks are normalised: CR LF, CR, vertical tab, form feed and NEL become a line feed.
* **Output** (``clean_xml_tree``): every XML answer cleans its text once more, so records stored
  before these checks, or written to the database by other means, still give well-formed XML.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from fieldaudit.errors import Problem
from fieldaudit.problems import problem

# What no stored text may hold: C0 controls but tab, LF and CR; DEL and C1; surrogates; and the
# two BMP non-characters XML 1.0 excludes.
NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
LINE_BREAKS = re.compile("\r\n|[\r\x0b\x0c\x85]")
CONTROL_CHARACTER = "control_character"


def first_control_character(value: str) -> str | None:
    """The first character of ``value`` that is not plain text, as ``U+000B``; None if none."""
    match = NOT_TEXT.search(value)
    return f"U+{ord(match.group()):04X}" if match else None


def text_problem(value: Any, field: str) -> Problem | None:
    """A problem naming ``field`` if the string ``value`` holds a control character, else None."""
    if not isinstance(value, str):
        return None
    character = first_control_character(value)
    if character is None:
        return None
    return problem(field, CONTROL_CHARACTER, field=field, character=character)


def clean_text(value: str) -> str:
    """``value`` with line breaks normalised to LF and every other control character removed."""
    return NOT_TEXT.sub("", LINE_BREAKS.sub("\n", value))


def clean_line(value: str) -> str:
    """One line of text (a name): cleaned, with runs of whitespace made one space."""
    return " ".join(clean_text(value).split())


def clean_xml_tree(element: ET.Element) -> ET.Element:
    """Clean the text, tails and attribute values of ``element`` and everything under it."""
    for node in element.iter():
        if node.text:
            node.text = clean_text(node.text)
        if node.tail:
            node.tail = clean_text(node.tail)
        for name, value in node.attrib.items():
            node.attrib[name] = clean_text(value)
    return element
