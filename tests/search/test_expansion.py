"""Query expansion by meaning: nearby words of visible articles, at a fraction of the weight."""

from __future__ import annotations

from kbportal.search import expansion, query_builder
from kbportal.search.types import SearchQuery
from kbportal.viewer import PUBLIC, Viewer

from .conftest import MakeSearcher, article

PHOTOS = article("photos", "Adding images", "Drag an image into the editor.")
CARS = article("cars", "Parking", "Leave the automobile in the garage.")
BAKING = article("bread", "Baking bread", "Flour, water, salt and yeast.")


def test_a_word_finds_articles_that_use_a_close_word(make_searcher: MakeSearcher) -> None:
    s = make_searcher([PHOTOS, CARS, BAKING])
    # Neither "pictures" nor "car" is in any article; "images" and "automobile" are close.
    assert [h.slug for h in s.search(SearchQuery("pictures")).hits] == ["photos"]
    assert [h.slug for h in s.search(SearchQuery("where do I leave my car")).hits][:1] == ["cars"]


def test_expansion_words_weigh_less_than_the_readers_own(make_searcher: MakeSearcher) -> None:
    built = query_builder.build_query("virus")
    assert built is not None
    more = query_builder.with_terms(built, ["spread"], expansion.BOOST)
    assert more.terms == built.terms  # snippets still mark the reader's words only
    boosts = {f: b for f, t, b in more.groups[-1]}
    assert boosts["article_text"] == query_builder.ARTICLE_FIELD_BOOSTS["article_text"] * 0.3


def test_hidden_articles_lend_no_words(make_searcher: MakeSearcher) -> None:
    secret = article(
        "secret", "Fleet", "Each automobile is serviced yearly.", visibility="internal"
    )
    s = make_searcher([PHOTOS, BAKING, secret])
    assert s.search(SearchQuery("car", viewer=PUBLIC)).total == 0
    staff = s.search(SearchQuery("car", viewer=Viewer(staff=True)))
    assert [h.slug for h in staff.hits] == ["secret"]


def test_no_vectors_no_expansion(make_searcher: MakeSearcher) -> None:
    s = make_searcher([PHOTOS, CARS, BAKING])
    s._vectors = {}
    assert s.search(SearchQuery("pictures")).total == 0


def test_an_unknown_word_is_not_expanded_from_guessed_pieces(make_searcher: MakeSearcher) -> None:
    # "quokkafy" is no word the table knows: its vector would be a guess from WordPiece pieces
    # (here close to the camera article's words), so it searches for itself alone.
    camera = article("camera", "Camera", "Capture a photo or a raw image with the camera.")
    made_up = article("made-up", "Made up", "Quokkafy the interface.")
    s = make_searcher([camera, made_up, BAKING])
    assert [h.slug for h in s.search(SearchQuery("quokkafy")).hits] == ["made-up"]
    assert expansion.vocabulary(s._vectors["en"]).nearest(["quokkafy"], "en") == [[]]


def test_a_word_weighs_as_little_as_its_commonest_synonym(make_searcher: MakeSearcher) -> None:
    # Every article is about vehicles, written "automobile"; one title happens to say "car".
    # "car" is rare as spelled but its meaning is everywhere, so the question's other word
    # ("insurance") decides, instead of the one article that spells "car".
    others = [
        article(f"a{i}", f"Automobile topic {i}", f"The automobile and its {w}.")
        for i, w in enumerate(["tyres", "brakes", "engine", "lights", "seats", "doors"])
    ]
    spelled = article("car-wash", "Car wash", "Washing the automobile weekly.")
    insurance = article("insurance", "Insurance", "Insurance of the automobile, yearly cover.")
    s = make_searcher([*others, spelled, insurance])
    assert [h.slug for h in s.search(SearchQuery("car insurance")).hits][:1] == ["insurance"]
    built = query_builder.build_query("car insurance")
    assert built is not None
    with s._using() as reader:
        scope = reader.scope(PUBLIC, None, None)
        weighed = expansion.expand(reader, s._vectors["en"], "car insurance", built, scope)
    boosts = {t: b for group in weighed.groups for f, t, b in group if f == "article_text"}
    assert boosts["car"] < boosts["insur"] == query_builder.ARTICLE_FIELD_BOOSTS["article_text"]


def test_a_hidden_synonym_does_not_change_a_words_weight(make_searcher: MakeSearcher) -> None:
    hidden = [
        article(f"h{i}", f"Fleet {i}", "The automobile fleet.", visibility="internal")
        for i in range(6)
    ]
    s = make_searcher([article("car-wash", "Car wash", "Washing the car."), BAKING, *hidden])
    built = query_builder.build_query("car")
    assert built is not None
    with s._using() as reader:
        scope = reader.scope(PUBLIC, None, None)
        weighed = expansion.expand(reader, s._vectors["en"], "car", built, scope)
    assert weighed.groups[0] == built.groups[0]
