"""What every area shares: authentication, authorization, dependencies, errors, conversions."""
