"""The platform audit log (public schema): who did what, when. Ids and actions only."""
