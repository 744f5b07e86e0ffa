"""A local HTTPS ARM emulator for tests and demos (see server.py)."""
