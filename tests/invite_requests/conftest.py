"""The notification tests' outside parties (a real SMTP server, a webhook receiver) serve here too."""

from tests.notifications.conftest import receiver, smtp

__all__ = ["receiver", "smtp"]
