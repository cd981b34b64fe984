"""Scaling campaigns (#15 item 5, engine/campaigns/): a curator offers a practice to
organisations, their heads accept (a replica project led by the person they pick) or
decline with a reason, the scheduler reminds once before the deadline (the real job on a
controlled clock), and the campaign's funnel and replicas' effect against the original."""
from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from engine import campaigns as C
from engine import practices as P
from engine.errors import Conflict, Forbidden, NotFound, ValidationFailed
from engine.jobs import scheduler
from engine.models import CampaignOffer, Event, Notification, Project
from engine.services import add_problem, update_metric

SATISFIED = "Доля родителей, довольных организацией питания"
PUBLISH = {"category": "meals", "summary": "Питание школьников без очередей: предзаказ обедов"}


def closed_project(flow: Any, project: Any, *, satisfied: float = 98.6) -> Any:
    """A project closed through every gate: lead time 67 -> 29 min, satisfied 80 -> ``satisfied`` %."""
    flow.satisfy(project.id, "diagnose")
    flow.add_metric(project.id, name=SATISFIED, direction="increase", baseline=80.0)
    flow.advance(project.id, "sustain")
    share = next(m for m in flow.metrics(project.id) if m.name == SATISFIED)
    flow.log(update_metric, share.id, {"target": 95.0})
    flow.measure(share.id, satisfied)
    flow.advance(project.id, "closed")
    return flow.reload(project.id)


@pytest.fixture
def practice(flow, make, project, curator_orel) -> Any:
    """The school's closed project about school meals, published by the Oryol curator."""
    closed_project(flow, project)
    return make.call(P.publish, curator_orel.actor, project.id, PUBLISH)


@dataclass
class School:
    org: Any
    head: Any
    teacher: Any


@pytest.fixture
def ten_schools(make, world) -> list[School]:
    """Ten schools of Oryol, each with its head and a teacher."""
    out = []
    for n in range(10):
        org = make.org(world.municipality, f"МБОУ СОШ №{100 + n}")
        out.append(School(org, make.person("head", org=org, email=f"head{n}@school{100 + n}.ru"),
                          make.person("member", org=org, email=f"teacher{n}@school{100 + n}.ru",
                                      name=f"Учитель {n}")))
    return out


DEADLINE = date(2026, 9, 21)  # the clock starts on 2026-09-01


def campaign_data(practice: Any, **kw: Any) -> dict[str, Any]:
    return {"practice_id": practice.id, "title": "Питание без очередей — в каждую школу",
            "message": "Предлагаем внедрить предзаказ обедов", "deadline": DEADLINE.isoformat(), **kw}


def offers(make: Any) -> list[CampaignOffer]:
    with make.store.uow() as uow:
        rows = list(uow.session.execute(select(CampaignOffer).order_by(CampaignOffer.id)).scalars())
        uow.session.expunge_all()
        return rows


def offer_of(make: Any, org: Any) -> CampaignOffer:
    return next(o for o in offers(make) if o.org_id == org.id)


def notes(make: Any, kind: str) -> list[int]:
    with make.store.uow() as uow:
        return list(uow.session.execute(select(Notification.user_id).where(Notification.kind == kind)
                                        .order_by(Notification.user_id)).scalars())


def detail(make: Any, who: Any, campaign_id: int) -> dict[str, Any]:
    with make.store.uow() as uow:
        return C.campaign_detail(uow, who.actor, campaign_id)


def test_ten_offered_seven_accept_three_decline_the_funnel_replicas_and_one_reminder(
        store, make, practice, curator_orel, ten_schools, frozen_clock):
    campaign = make.call(C.create_campaign, curator_orel.actor,
                         campaign_data(practice, org_ids=[s.org.id for s in ten_schools]))
    assert len(offers(make)) == 10
    assert notes(make, "campaign_offered") == sorted(s.head.id for s in ten_schools)

    accepting, declining = ten_schools[:7], ten_schools[7:]
    for s in accepting:
        make.call(C.accept_offer, s.head.actor, offer_of(make, s.org).id, {"leader_id": s.teacher.id})
    assert notes(make, "campaign_answered") == [curator_orel.id] * 7  # the curator hears of each answer

    # the scheduler for real: nothing until three days before the deadline, then once
    frozen_clock.set(frozen_clock.current.replace(day=17))  # 4 days before
    assert scheduler.run_once(store)["campaign_reminders"] == {"offers": 0, "notified": 0}
    frozen_clock.advance(days=1)  # 2026-09-18: three days before
    assert scheduler.run_once(store)["campaign_reminders"] == {"offers": 3, "notified": 3}
    assert notes(make, "campaign_reminder") == sorted(s.head.id for s in declining)
    for _ in range(2):
        frozen_clock.advance(days=1)
        assert scheduler.JOBS["campaign_reminders"](store) == {"offers": 0, "notified": 0}
    assert len(notes(make, "campaign_reminder")) == 3
    with store.uow() as uow:
        (reminded,) = uow.session.execute(select(Event).where(Event.kind == "offer_reminded")).scalars()
        assert reminded.actor_id is None and reminded.payload["notified"] == 3

    reasons = ["Нет столовой в здании", "Питание организует другой поставщик", "Проект уже идёт"]
    for s, reason in zip(declining, reasons, strict=True):
        make.call(C.decline_offer, s.head.actor, offer_of(make, s.org).id, {"reason": reason})
    assert notes(make, "campaign_answered") == [curator_orel.id] * 10
    with store.uow() as uow:
        told = list(uow.session.execute(select(Notification.text_ru).where(
            Notification.kind == "campaign_answered").order_by(Notification.id)).scalars())
    assert all(reason in text for reason, text in zip(reasons, told[7:], strict=True))

    body = detail(make, curator_orel, campaign.id)
    assert body["funnel"] == {"offered": 10, "accepted": 7, "declined": 3, "started": 7, "closed": 0}
    by_org = {o["org_id"]: o for o in body["offers"]}
    assert sorted(by_org[s.org.id]["reason"] for s in declining) == sorted(reasons)
    assert all(by_org[s.org.id]["status"] == "declined" and by_org[s.org.id]["project_id"] is None
               for s in declining)

    # the seven replicas are linked to the practice and to their offers, led by the chosen teacher
    with store.uow() as uow:
        replicas = list(uow.session.execute(select(Project).where(Project.practice_id == practice.id)
                                            .order_by(Project.id)).scalars())
        assert sorted((p.org_id, p.leader_id) for p in replicas) == sorted((s.org.id, s.teacher.id)
                                                                           for s in accepting)
        assert {by_org[p.org_id]["project_id"] for p in replicas} == {p.id for p in replicas}
        kinds = [e.kind for e in uow.session.execute(
            select(Event).where(Event.project_id == replicas[0].id).order_by(Event.id)).scalars()]
        assert kinds[0] == "created" and kinds.index("replicated") + 1 == kinds.index("offer_accepted")
    assert set(notes(make, "owner_assigned")) >= {s.teacher.id for s in accepting}
    with store.uow() as uow:
        listed, total = C.list_campaigns(uow, curator_orel.actor)
    assert total == 1 and listed[0]["funnel"] == body["funnel"]


def test_a_closed_replica_counts_as_closed_and_its_effect_is_compared_with_the_original(
        make, flow_for, practice, curator_orel, ten_schools):
    school = ten_schools[0]
    campaign = make.call(C.create_campaign, curator_orel.actor, campaign_data(practice, org_ids=[school.org.id]))
    offer = make.call(C.accept_offer, school.head.actor, offer_of(make, school.org).id,
                      {"leader_id": school.teacher.id})
    body = detail(make, curator_orel, campaign.id)
    assert body["funnel"]["started"] == 1 and body["funnel"]["closed"] == 0
    assert body["original_effect_size"] == pytest.approx(56.7)  # lead time 67 -> 29 min: the best improvement

    # the replica starts with the original's metrics without baselines: it measures its own
    replica = flow_for(school.teacher, school.head)
    replica.artefact(offer.project_id, "current_state_map", "Карта текущего состояния")
    replica.log(add_problem, offer.project_id, {"description": "Очереди в столовой", "waste": "waiting"})
    baselines = {"Время подготовки контрольной работы": 50.0, SATISFIED: 80.0}
    for m in replica.metrics(offer.project_id):
        replica.log(update_metric, m.id, {"baseline": baselines[m.name]})
    replica.advance(offer.project_id, "closed")  # every metric measured at 29
    body = detail(make, curator_orel, campaign.id)
    assert body["funnel"] == {"offered": 1, "accepted": 1, "declined": 0, "started": 1, "closed": 1}
    (row,) = body["offers"]
    assert row["project_state"] == "closed"
    assert row["effect_size"] == pytest.approx(42.0)  # lead time 50 -> 29 min
    assert row["vs_original"] == pytest.approx(-14.7)  # 42.0 against the original's 56.7
    assert row["vs_original"] == pytest.approx(round(row["effect_size"] - body["original_effect_size"], 1))


def test_choosing_organisations_by_kind_and_municipality_never_offers_to_the_practice_author(
        make, world, practice, curator_orel, ten_schools):
    kindergarten = make.org(world.municipality, "МБДОУ Детский сад №7", kind="kindergarten")
    schools = make.call(C.create_campaign, curator_orel.actor, campaign_data(practice, kind="school"))
    offered = {o.org_id for o in offers(make) if o.campaign_id == schools.id}
    assert world.school.id not in offered and kindergarten.id not in offered
    assert offered == {world.other_school.id} | {s.org.id for s in ten_schools}
    by_mun = make.call(C.create_campaign, curator_orel.actor,
                       campaign_data(practice, municipality_id=world.municipality.id, kind="kindergarten"))
    assert [o.org_id for o in offers(make) if o.campaign_id == by_mun.id] == [kindergarten.id]


@pytest.mark.parametrize(("data", "field", "words"), [
    ({}, "org_ids", "Выберите организации"),
    ({"org_ids": [10**6]}, "org_ids", "Нет таких организаций"),
    ({"org_ids": [1], "deadline": "2026-09-01"}, "deadline", "позже сегодняшнего"),
    ({"org_ids": [1], "title": ""}, "title", None),
    ({"org_ids": [1], "deadline": "31.02.2026"}, "deadline", None),
])
def test_bad_campaigns_name_the_field_and_write_nothing(make, practice, curator_orel, refused, data, field, words,
                                                        ten_schools):
    if data.get("org_ids") == [1]:
        data = {**data, "org_ids": [ten_schools[0].org.id]}
    err = refused(lambda: make.call(C.create_campaign, curator_orel.actor, campaign_data(practice) | data),
                  ValidationFailed)
    assert field in err.fields
    if words:
        assert words in err.fields[field].ru


def test_only_the_regions_curator_runs_campaigns(make, world, practice, curator_kursk, head_of_school, admin,
                                                curator_orel, refused, ten_schools):
    data = campaign_data(practice, org_ids=[ten_schools[0].org.id])
    refused(lambda: make.call(C.create_campaign, curator_kursk.actor, data), Forbidden)
    refused(lambda: make.call(C.create_campaign, head_of_school.actor, data), Forbidden)
    campaign = make.call(C.create_campaign, curator_orel.actor, data)
    with pytest.raises(NotFound):
        detail(make, curator_kursk, campaign.id)
    with pytest.raises(NotFound):
        detail(make, head_of_school, campaign.id)
    assert detail(make, admin, campaign.id)["id"] == campaign.id  # admins watch every region
    refused(lambda: make.call(C.close_campaign, admin.actor, campaign.id, {}), Forbidden)
    closed = make.call(C.close_campaign, curator_orel.actor, campaign.id, {})
    assert closed.status == "closed" and closed.version == 2
    refused(lambda: make.call(C.close_campaign, curator_orel.actor, campaign.id, {}), Conflict)


def test_only_the_head_answers_and_declining_needs_a_reason(make, world, practice, curator_orel, ten_schools,
                                                           head_of_other_school, refused, frozen_clock):
    school, other = ten_schools[0], ten_schools[1]
    make.call(C.create_campaign, curator_orel.actor, campaign_data(practice, org_ids=[school.org.id]))
    offer = offer_of(make, school.org)
    refused(lambda: make.call(C.decline_offer, school.teacher.actor, offer.id, {"reason": "Нет"}), Forbidden)
    refused(lambda: make.call(C.decline_offer, curator_orel.actor, offer.id, {"reason": "Нет"}), Forbidden)
    refused(lambda: make.call(C.decline_offer, other.head.actor, offer.id, {"reason": "Нет"}), NotFound)
    err = refused(lambda: make.call(C.decline_offer, school.head.actor, offer.id, {"reason": "  "}),
                  ValidationFailed)
    assert "reason" in err.fields and err.fields["reason"].ru
    err = refused(lambda: make.call(C.decline_offer, school.head.actor, offer.id, {}), ValidationFailed)
    assert "reason" in err.fields
    # the leader must be a person of the organisation
    err = refused(lambda: make.call(C.accept_offer, school.head.actor, offer.id, {"leader_id": other.teacher.id}),
                  ValidationFailed)
    assert "leader_id" in err.fields
    refused(lambda: make.call(C.accept_offer, school.head.actor, offer.id, {}), ValidationFailed)

    make.call(C.decline_offer, school.head.actor, offer.id, {"reason": "Нет столовой"})
    refused(lambda: make.call(C.accept_offer, school.head.actor, offer.id, {"leader_id": school.teacher.id}),
            Conflict)


def test_after_the_deadline_or_once_closed_an_offer_can_no_longer_be_answered(
        make, practice, curator_orel, ten_schools, refused, frozen_clock):
    a, b = ten_schools[0], ten_schools[1]
    campaign = make.call(C.create_campaign, curator_orel.actor, campaign_data(practice, org_ids=[a.org.id, b.org.id]))
    frozen_clock.set(frozen_clock.current.replace(day=DEADLINE.day))
    make.call(C.decline_offer, a.head.actor, offer_of(make, a.org).id, {"reason": "Не успеваем"})  # the last day
    frozen_clock.advance(days=1)
    refused(lambda: make.call(C.accept_offer, b.head.actor, offer_of(make, b.org).id, {"leader_id": b.teacher.id}),
            Conflict)
    make.call(C.close_campaign, curator_orel.actor, campaign.id, {})
    with make.store.uow() as uow:
        (mine,) = C.my_offers(uow, b.head.actor)
    assert mine["status"] == "offered" and mine["open"] is False and mine["leaders"] == []


def test_a_heads_offers_list_the_people_who_may_lead_the_replica(make, practice, curator_orel, ten_schools):
    school = ten_schools[0]
    make.call(C.create_campaign, curator_orel.actor, campaign_data(practice, org_ids=[school.org.id]))
    with make.store.uow() as uow:
        (mine,) = C.my_offers(uow, school.head.actor)
        assert C.my_offers(uow, school.teacher.actor) == []  # a member answers nothing
    assert mine["open"] and mine["practice_id"] == practice.id and mine["deadline"] == DEADLINE.isoformat()
    assert {p["id"] for p in mine["leaders"]} == {school.head.id, school.teacher.id}


def test_two_answers_at_once_one_wins_and_the_losers_replica_is_discarded(make, store, practice, curator_orel,
                                                                        ten_schools):
    school = ten_schools[0]
    deputy = make.person("head", org=school.org, email="deputy@school100.ru")
    make.call(C.create_campaign, curator_orel.actor, campaign_data(practice, org_ids=[school.org.id]))
    offer = offer_of(make, school.org)
    start = threading.Barrier(2)
    results: list[Any] = []

    def answer(head: Any) -> None:
        start.wait()
        try:
            make.call(C.accept_offer, head.actor, offer.id, {"leader_id": school.teacher.id})
            results.append("won")
        except Conflict as exc:  # answered already, or StaleVersion: the swap lost
            results.append(type(exc).__name__)

    threads = [threading.Thread(target=answer, args=(h,)) for h in (school.head, deputy)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(results)[-1] == "won" and results.count("won") == 1, results
    with store.uow() as uow:
        assert len(list(uow.session.execute(select(Project).where(Project.practice_id == practice.id)).scalars())) == 1
    assert offer_of(make, school.org).status == "accepted"


def test_a_municipal_curator_follows_the_offers_to_their_municipality_only(
        make, world, practice, curator_orel, ten_schools):
    """A municipal curator's «Кампании» were empty: now they see the campaigns that offered a
    practice to their municipality's organisations, with those offers and their funnel only."""
    other_mun = make.municipality(world.region, "Мценский район")
    mtsensk = [make.org(other_mun, f"МБОУ Мценская СОШ №{n}") for n in (1, 2)]
    mtsensk_heads = [make.person("head", org=org) for org in mtsensk]
    watcher = make.person("curator", region=world.region, municipality=other_mun)
    campaign = make.call(C.create_campaign, curator_orel.actor,
                         campaign_data(practice, org_ids=[s.org.id for s in ten_schools[:3]] + [o.id for o in mtsensk]))
    only_orel = make.call(C.create_campaign, curator_orel.actor,
                          campaign_data(practice, org_ids=[ten_schools[5].org.id], title="Только Орёл"))
    make.call(C.decline_offer, mtsensk_heads[0].actor, offer_of(make, mtsensk[0]).id, {"reason": "Нет столовой"})

    with make.store.uow() as uow:
        listed, total = C.list_campaigns(uow, watcher.actor)
        assert total == 1 and [c["id"] for c in listed] == [campaign.id]
        assert listed[0]["funnel"] == {"offered": 2, "accepted": 0, "declined": 1, "started": 0, "closed": 0}
        body = C.campaign_detail(uow, watcher.actor, campaign.id)
        assert sorted(o["org_id"] for o in body["offers"]) == sorted(o.id for o in mtsensk)
        assert body["funnel"]["offered"] == 2
        with pytest.raises(NotFound):
            C.campaign_detail(uow, watcher.actor, only_orel.id)
        # the regional curator still sees every offer of both
        whole, _ = C.list_campaigns(uow, curator_orel.actor)
        assert {c["id"]: c["funnel"]["offered"] for c in whole} == {campaign.id: 5, only_orel.id: 1}
    # and may not close it (the region's curator runs campaigns)
    with pytest.raises((NotFound, Forbidden)):
        make.call(C.close_campaign, watcher.actor, campaign.id, {})
