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
    assert "connaît les écoles (enfants de 4 et 9 ans)" in matches[0].reasons
    # Orléans has a lycée and a university, neither for children of 4 and 9.
    assert not any("Lycée Pothier" in r for r in matches[0].reasons)


def test_schools_are_proposed_for_the_childrens_ages_only(catalogue):
    territory = catalogue.get("loiret")
    teenagers = best_welcomers(territory, {"children_ages": "16"})[0]
    assert (
        "établissements pour ces âges dans sa commune : Lycée Pothier (lycée)" in teenagers.reasons
    )
    assert not any("Université" in r for r in teenagers.reasons)
    baby = best_welcomers(territory, {"children_ages": "1"})
    assert not any("écoles" in r for m in baby for r in m.reasons)  # no school before 3


def test_ages_are_read_against_school_levels():
    from forms.matching import ages_text, levels_for

    assert levels_for([4, 9]) == {"maternelle", "primaire"}
    assert levels_for([2]) == set() and levels_for([11, 15, 19]) == {
        "collège",
        "lycée",
        "supérieur",
    }
    assert ages_text([4, 9]) == "4 et 9 ans" and ages_text([1]) == "1 an"


def test_a_partner_looking_for_work_is_offered_the_welcomer_who_advises_spouses(catalogue):
    matches = best_welcomers(catalogue.get("loiret"), {"partner_occupation": "infirmière"})
    assert names(matches)[0] == "Marc"
    assert matches[0].reasons[0] == "conseille les conjoints qui cherchent un emploi (infirmière)"


def test_shared_interests_and_languages_count(catalogue):
    fields = {"interests": ["logement"], "message": "Mon mari est anglais."}
    (first, *_) = best_welcomers(catalogue.get("loiret"), fields)
    assert first.welcomer.first_name == "Claire"
    assert set(first.reasons) == {
        "partage un intérêt de la famille : logement",
        "parle anglais, comme la famille le souhaite",
    }


def test_a_welcomer_living_where_the_placement_is_comes_first(catalogue):
    territory = catalogue.get("loiret")
    gien = dataclasses.replace(territory.welcomers[1], id="lea", first_name="Léa", commune="Gien")
    territory = dataclasses.replace(territory, welcomers=(*territory.welcomers, gien))
    matches = best_welcomers(territory, {"placement": "stage-kine-gien"})
    assert names(matches)[0] == "Léa"
    assert "habite à Gien, où se trouve l'offre qui intéresse la famille" in matches[0].reasons


def test_an_interest_already_rewarded_through_the_children_is_not_counted_twice(catalogue):
    matches = best_welcomers(
        catalogue.get("loiret"), {"children_ages": "4", "interests": ["écoles"]}
    )
    assert not any("intérêt de la famille : écoles" in r for r in matches[0].reasons)


def test_reasons_speak_of_the_family_to_the_staff_never_to_the_candidate(catalogue):
    fields = {"children_ages": "4, 9", "interests": ["sport", "logement"], "message": "anglais"}
    reasons = [r for m in best_welcomers(catalogue.get("loiret"), fields) for r in m.reasons]
    assert reasons and not any(word in r.split() for r in reasons for word in ("votre", "vous"))


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
