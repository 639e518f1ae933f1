"""Renderers of the documents the portal hands out: flyers and posters (PDF, PNG), the booking slip (PDF), calendar
entries and venue feeds (iCalendar), QR codes and maps (folium HTML)."""
