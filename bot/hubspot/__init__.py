"""The HubSpot side of HubSpot record sources: the only package that imports HubSpot's
client (hubspot-api-client), as bot.slack is the only one that imports Slack's."""
