"""The residents' pages (住民向け): home and map, a booth, booking and managing a booking, flyers as residents fetch
them, venue partners' feeds and invitation answers, and the language switch."""
