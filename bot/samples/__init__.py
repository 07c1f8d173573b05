"""Sample data shipped with the bot."""
