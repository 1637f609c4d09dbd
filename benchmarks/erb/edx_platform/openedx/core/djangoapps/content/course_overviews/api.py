"""Stand-in for edx-platform's ``course_overviews.api``: every course exists.

ERB caches the answer per course (``functools.lru_cache``), so what this costs
hardly counts; edx-platform answers from its CourseOverview table.
"""


def get_course_overviews(course_ids):
    return [{"id": str(course_id), "display_name": "Demonstration Course"} for course_id in course_ids]
