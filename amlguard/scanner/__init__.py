"""Inventory, sources and the rule engine: knows resources and rules, nothing of terminals."""
