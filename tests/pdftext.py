"""Reading a generated PDF back as text (poppler's pdftotext), for tests of printed documents."""

import re
import subprocess


def pdf_text(pdf: bytes, mode: str = "-layout") -> str:
    """The text as laid out (mode "-layout") or in reading order ("-raw"); pages split by \\f."""
    return subprocess.run(["pdftotext", mode, "-enc", "UTF-8", "-", "-"], input=pdf,
                          capture_output=True, check=True).stdout.decode()


def flat(pdf: bytes) -> str:
    """The text in reading order with all whitespace removed: wrapped cells join up."""
    return re.sub(r"\s+", "", pdf_text(pdf, "-raw"))


def pages(pdf: bytes) -> list[str]:
    return [p for p in pdf_text(pdf).split("\f") if p.strip()]
