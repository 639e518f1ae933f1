"""What every page shares: templating, error pages, security headers, throttling, locale, form helpers and guards."""
