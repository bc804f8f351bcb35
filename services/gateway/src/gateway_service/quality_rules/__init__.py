"""Quality rules, check runs, quality scores and rule suggestions (quality service)."""
