"""File import and export: GeoJSON, GeoPackage, Shapefile (UTF-8 or GBK .dbf), CSV and XLSX."""
