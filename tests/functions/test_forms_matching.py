"""Welcomer matching: the best welcomers for a family, and why, in French."""

from __future__ import annotations

import dataclasses

from forms.catalogue import WelcomerInfo
from forms.matching import best_welcomers


def names(matches):
    return [m.welcomer.first_name for m in matches]


def test_a_family_with_children_is_first_offered_the_welcomer_who_knows_the_schools(catalogue):
    matches = best_welcomers(catalogue.get("loiret"), {"children_ages": "4, 9"})
    assert names(matches)[0] == "Claire"
    assert "connaît les écoles (enfants de 4, 9 ans)" in matches[0].reasons
    assert any(r.startswith("écoles dans sa commune : Lycée Pothier") for r in matches[0].reasons)


def test_a_partner_looking_for_work_is_offered_the_welcomer_who_advises_spouses(catalogue):
    matches = best_welcomers(catalogue.get("loiret"), {"partner_occupation": "infirmière"})
    assert names(matches)[0] == "Marc"
    assert matches[0].reasons[0] == "conseille les conjoints qui cherchent un emploi (infirmière)"


def test_shared_interests_and_languages_count(catalogue):
    fields = {"interests": ["logement"], "message": "Mon mari est anglais."}
    (first, *_) = best_welcomers(catalogue.get("loiret"), fields)
    assert first.welcomer.first_name == "Claire"
    assert set(first.reasons) == {"partage votre intérêt : logement", "parle anglais"}


def test_a_welcomer_living_where_the_placement_is_comes_first(catalogue):
    territory = catalogue.get("loiret")
    gien = dataclasses.replace(territory.welcomers[1], id="lea", first_name="Léa", commune="Gien")
    territory = dataclasses.replace(territory, welcomers=(*territory.welcomers, gien))
    matches = best_welcomers(territory, {"placement": "stage-kine-gien"})
    assert names(matches)[0] == "Léa"
    assert "habite à Gien, où se trouve l'offre choisie" in matches[0].reasons


def test_an_interest_already_rewarded_through_the_children_is_not_counted_twice(catalogue):
    matches = best_welcomers(
        catalogue.get("loiret"), {"children_ages": "4", "interests": ["écoles"]}
    )
    assert matches[0].reasons.count("partage votre intérêt : écoles") == 0


def test_without_any_clue_two_welcomers_are_still_proposed(catalogue):
    matches = best_welcomers(catalogue.get("loiret"), {})
    assert len(matches) == 2
    assert all(m.reasons == ("disponible pour un premier échange",) for m in matches)


def test_at_most_three_welcomers_best_first_ties_in_yaml_order(catalogue):
    territory = catalogue.get("loiret")
    extra = tuple(
        WelcomerInfo(
            id=f"w{i}", first_name=f"W{i}", commune="Orléans", topics=("sport",), languages=()
        )
        for i in range(4)
    )
    territory = dataclasses.replace(territory, welcomers=territory.welcomers + extra)
    matches = best_welcomers(territory, {"interests": ["sport"]})
    assert len(matches) == 3
    assert names(matches) == ["Marc", "W0", "W1"]
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)
