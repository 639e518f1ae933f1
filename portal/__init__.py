"""The web layer: Litestar app factory, controllers, templates, the back office and the public pages."""
