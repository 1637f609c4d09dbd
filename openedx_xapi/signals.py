"""Signal receivers: drop this process's cached consumer list as soon as a consumer
changes here (other processes pick the change up within ``CONFIG_CACHE_SECONDS``), and
forget learners that edx-platform retires.
"""
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from openedx_xapi import platform, retirement
from openedx_xapi.consumers import clear_cache
from openedx_xapi.models import Consumer

retirement.connect(platform.retirement_signals())


@receiver(post_save, sender=Consumer, dispatch_uid="openedx_xapi.consumer_saved")
@receiver(post_delete, sender=Consumer, dispatch_uid="openedx_xapi.consumer_deleted")
def consumer_changed(**kwargs):
    clear_cache()
