"""
What planners look at.

Offline HTML maps, basemaps, inlined assets, PNG maps and progress charts.
"""
