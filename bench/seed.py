"""Fills a scratch install with many invites, members and redemptions (run with the install's env)."""

from __future__ import annotations

import random
import sys
from datetime import timedelta

from guestlist.django_setup import setup_django


def main(invites: int, members: int) -> None:
    setup_django()
    from django.db import connection, transaction
    from django.utils import timezone

    from guestlist.invites.models import Invite, Redemption
    from guestlist.members.models import Member
    from guestlist.plex.models import MediaServer

    rng = random.Random(42)
    server = MediaServer.objects.get()
    now = timezone.now()
    words = [
        "family",
        "friends",
        "book",
        "club",
        "work",
        "neighbours",
        "trial",
        "cousins",
        "gym",
        "school",
        "movie",
        "night",
        "kids",
    ]
    admins = ["owner", "alex", "sam", "kim", "jo"]
    with transaction.atomic():
        batch = []
        for number in range(invites):
            limit = rng.choice([1, 1, 1, 5, 10, None])
            batch.append(
                Invite(
                    code=f"B{number:07d}",
                    server=server,
                    description=f"{rng.choice(words)} {rng.choice(words)} {number}",
                    created_by_label=rng.choice(admins),
                    expires_at=now + timedelta(days=rng.randint(-200, 200)) if rng.random() < 0.5 else None,
                    usage_limit=limit,
                    used_count=0,
                    is_active=rng.random() > 0.15,
                    libraries="default",
                )
            )
        Invite.objects.bulk_create(batch, batch_size=2000)
        Invite.objects.update(created_at=now)  # then spread creation dates below in SQL-friendly chunks
        ids = list(Invite.objects.values_list("id", flat=True))
        for start in range(0, len(ids), 5000):
            chunk = ids[start : start + 5000]
            Invite.objects.filter(id__in=chunk).update(created_at=now - timedelta(days=start // 500))
        used_invites = rng.sample(ids, members)
        member_rows = [
            Member(
                server=server,
                person_key=f"email:member{number}@example.org",
                email=f"member{number}@example.org",
                username=f"member{number}",
                invite_id=invite_id,
                status=rng.choice(["active", "active", "active", "pending", "expired", "removed"]),
            )
            for number, invite_id in enumerate(used_invites)
        ]
        Member.objects.bulk_create(member_rows, batch_size=2000)
        member_by_invite = dict(Member.objects.values_list("invite_id", "id"))
        Redemption.objects.bulk_create(
            [
                Redemption(
                    invite_id=invite_id,
                    invite_code=f"B{invite_id:07d}",
                    member_id=member_by_invite[invite_id],
                    method="email",
                    state="done",
                    person_key=f"email:x{invite_id}",
                )
                for invite_id in used_invites
            ],
            batch_size=2000,
        )
        for start in range(0, len(used_invites), 5000):
            Invite.objects.filter(id__in=used_invites[start : start + 5000]).update(used_count=1)
    if connection.vendor == "postgresql":
        # What autovacuum does minutes after a bulk load; without it every count reads the heap.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    print(f"seeded {Invite.objects.count()} invites, {Member.objects.count()} members")


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
