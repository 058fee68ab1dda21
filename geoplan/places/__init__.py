"""
Where things are.

Coordinate systems and metric CRSs, China's boundaries, the point-precision
registry, the national gazetteer, the address matcher, offline geocoding and
online providers.
"""
