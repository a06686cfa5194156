"""Printable documents (PDF) the county posts on notice boards or hands to households.

`base` holds what every document shares: the A4 page with a running heading and page
numbers, the stylesheet, Chinese dates, escaped paragraphs and tables, and `render_pdf`.
The documents themselves are built where their data is understood (for intake:
services/intake_documents.py), from plain dicts, so they are tested without a database.
"""
