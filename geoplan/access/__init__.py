"""
Who is within reach.

Cost tables (straight-line and street-network), street networks, coverage
and gaps, service areas, life-circle presets.
"""
