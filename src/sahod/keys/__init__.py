"""Sealing keys: where a server may take them from, and their rotation."""
