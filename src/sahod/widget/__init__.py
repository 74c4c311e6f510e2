"""The JS SDK and the widget pages a tenant's site embeds (see endpoints.py)."""
