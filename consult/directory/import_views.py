"""CSV import of participants (admin): upload, preview, confirm."""

from consult.directory.views import bp  # noqa: F401
