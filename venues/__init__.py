"""Venues: the registry of booth candidates and permanent application points, and the facility-list import."""
