"""Read-only reports: queries over the books and logs that other apps write. Nothing here writes."""
