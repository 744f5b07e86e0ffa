"""Turns failing findings into a plan of actions and carries them out (``check --fix``)."""
