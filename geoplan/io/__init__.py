"""
Files in and out.

Tables and layers with their encodings and declared coordinates, row
accounting, atomic and spreadsheet-safe writes, GeoPackages, styles, and the
files of places (gazetteer stores, manual fixes).
"""
