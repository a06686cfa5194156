"""The generic pages every declared resource gets: list, record (detail), form (create/edit)."""
