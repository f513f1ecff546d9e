"""Video testimonials: a link to the video until the visitor asks; nothing loads before."""

from __future__ import annotations

from territories.video import player


def test_a_video_testimonial_is_a_link_and_its_player_loads_only_on_click(site):
    landing = site.page("/loir-et-cher/")
    box = landing.find("div", class_="video")
    link = box.find("a", class_="video-link")
    assert link.attrs["href"] == "https://www.youtube.com/watch?v=aqz-KE-bpKQ"  # works without JS
    assert "Voir la vidéo" in link.text()
    assert box.attrs["data-player"].startswith("https://www.youtube-nocookie.com/embed/")
    assert not landing.find_all("iframe") and not landing.find_all("video")
    scripts = [s.attrs.get("src", "") for s in landing.find_all("script")]
    assert any("/theme/js/video.js" in src for src in scripts)
    other = site.page("/loiret/")  # no video there: no script either
    assert not any("video.js" in s.attrs.get("src", "") for s in other.find_all("script"))


def test_players_of_each_provider_and_an_mp4():
    assert player("https://youtu.be/aqz-KE-bpKQ").src.startswith("https://www.youtube-nocookie")
    assert player("https://vimeo.com/76979871").src == (
        "https://player.vimeo.com/video/76979871?autoplay=1&dnt=1"
    )
    assert player("https://www.dailymotion.com/video/x8abcd").provider == "Dailymotion"
    assert player("https://www.loiret.fr/media/temoignage.mp4").is_file
    assert player("https://www.example.org/page") is None
