"""Data Compass scheduler service: cron schedules fired once across replicas, dispatched to
the owning service as commands, with run history and retries."""
