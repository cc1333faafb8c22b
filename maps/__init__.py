"""Folium maps and printable artefacts; they take prepared data and never open the database."""
