"""Database backends of our own (Django loads `<ENGINE>.base.DatabaseWrapper`)."""
