"""Each school's policies, their reviews and the reminders sent about them. Public schema."""
