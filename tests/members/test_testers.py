"""Testers (issue 13.2, the member side): a flag on the member, in the API and in imports,
and a bitmap per channel that the planner can AND with the topics' for exercises."""

from __future__ import annotations

import redis

from lifeline.members import MemberData, MemberStore


def test_testers_only_walks_the_flagged_members_of_the_topics(redis_client: redis.Redis) -> None:
    store = MemberStore(redis_client)
    tester = store.create("demo-bkk", MemberData(language="de", topics=("outages",),
                                                 email="t@example.org", tester=True))  # fmt: skip
    store.create("demo-bkk", MemberData(language="de", topics=("outages",), email="n@example.org"))
    elsewhere = MemberData(language="de", topics=("service",), email="s@example.org", tester=True)
    other_topic = store.create("demo-bkk", elsewhere)
    assert store.get("demo-bkk", tester.id).tester is True
    everyone = set(store.iter_subscribers("demo-bkk", "email", ["outages"]))
    testers = set(store.iter_subscribers("demo-bkk", "email", ["outages"], testers_only=True))
    assert len(everyone) == 2
    assert testers == {tester.id}
    both = set(
        store.iter_subscribers("demo-bkk", "email", ["outages", "service"], testers_only=True)
    )
    assert both == {tester.id, other_topic.id}
    store.update("demo-bkk", tester.id, {"tester": False})
    assert set(store.iter_subscribers("demo-bkk", "email", ["outages"], testers_only=True)) == set()
    assert store.get("demo-bkk", tester.id).tester is False
