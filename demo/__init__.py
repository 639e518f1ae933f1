"""The Kanazawa demo (DESIGN §5, ``outreach demo``): a domain service above the apps, called by the command line."""
