"""Publisher: schedules approved content and publishes it, once and on time."""
