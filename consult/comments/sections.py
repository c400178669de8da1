"""What the comments package adds to the consultation and document pages (see consultations/extensions.py)."""
