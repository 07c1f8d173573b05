"""workflow-bot: scheduled workflows for records, run from Slack."""
