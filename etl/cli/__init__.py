"""The command line (`newsarchive`): argument parsing and one-line errors; the edge of the code."""
