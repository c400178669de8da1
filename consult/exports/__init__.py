"""Exports and reports for the secretariat: streamed CSV/XLSX/JSON, the compilation of comments, summaries."""
