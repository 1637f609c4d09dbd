"""``manage.py lms openedx_xapi_reencrypt_secrets``: write every consumer's stored secrets
again under the newest key, the middle step of a key rotation (README, "Configuring")."""
from django.core.management.base import BaseCommand, CommandError

from openedx_xapi.consumers import ConsumerConfigError, reencrypt_secrets


class Command(BaseCommand):
    help = ("Re-encrypt the consumers' stored secrets (password, token, HMAC secret) with the newest "
            "SECRET_KEY and SALT_KEY, so that the old key can be dropped from SECRET_KEY_FALLBACKS.")

    def handle(self, *args, **options):
        try:
            count = reencrypt_secrets()
        except ConsumerConfigError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"{count} consumer(s) re-encrypted")
