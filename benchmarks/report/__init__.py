"""Tables and plots built from the result store."""
