"""Langganan laporan (for Pemda): subscribe to a region's weekly or monthly report by e-mail,
see each subscription's last delivery, and stop one (``dashboard.subscriptions.section``)."""

from dashboard.subscriptions import section

section.render()
