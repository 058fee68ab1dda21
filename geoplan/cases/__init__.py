"""
Bundled examples built on the generic layers.

Nothing generic imports them.
"""
