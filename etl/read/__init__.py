"""Reading the archive: SQL queries as the read-only role, exports, the HTML report."""
