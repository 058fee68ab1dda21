"""
What the plans ask and where to build.

Facility categories, plans as data and their progress, candidate sites,
siting models, plan reports.
"""
