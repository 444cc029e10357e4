"""The bottom layer: settings, errors, the article model, dates and URLs. Imports nothing of etl."""
