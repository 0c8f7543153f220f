"""The practice's web portal: patients who share, their figures, the alert queue, audit.

A channel beside ``bot.tg`` (it never imports telegram): server-rendered Starlette pages
over the same database and settings as the bot. ``bot.portal.app.build_portal`` builds it.
"""
