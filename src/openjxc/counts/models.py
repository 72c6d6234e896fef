"""Models of the counts app."""
