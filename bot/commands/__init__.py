"""The command groups of ``workflow-bot``, one module each; ``bot.cli`` registers them."""
