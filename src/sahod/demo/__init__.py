"""`sahod demo`: Sahod plus a sample tenant site that embeds the widget (run.py, site.py)."""
