"""The create/edit wizard's steps, one module each: its view, reading its inputs back, and
placing its problems on them. The modal around them and the table of steps are in
bot.slack.views.wizard.
"""
