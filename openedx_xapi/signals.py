"""Drop this process's cached consumer list as soon as a consumer changes here.

Other processes pick the change up within ``CONFIG_CACHE_SECONDS``.
"""
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from openedx_xapi.consumers import clear_cache
from openedx_xapi.models import Consumer


@receiver(post_save, sender=Consumer, dispatch_uid="openedx_xapi.consumer_saved")
@receiver(post_delete, sender=Consumer, dispatch_uid="openedx_xapi.consumer_deleted")
def consumer_changed(**kwargs):
    clear_cache()
