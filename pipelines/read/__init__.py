"""Reading sources: the format parsers (formats.py: a file into raw rows, never raising on
bad content) and their Beam transform (transform.py: files on any filesystem into records
and quarantine rows)."""
