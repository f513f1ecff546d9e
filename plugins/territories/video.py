"""Video testimonials: which player shows a video, loaded only when the visitor asks for it.

The page shows a link to the video (it works without JavaScript); theme/static/js/video.js
replaces it on click with the provider's player, so nothing is requested from another site
before that click. YouTube plays from its no-cookie domain, Vimeo with "do not track".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PROVIDERS = (
    (
        "YouTube",
        re.compile(
            r"https://(?:www\.|m\.)?(?:youtube\.com/(?:watch\?(?:.*&)?v=|embed/|shorts/)|youtu\.be/)"
            r"([A-Za-z0-9_-]{11})"
        ),
        "https://www.youtube-nocookie.com/embed/{id}?autoplay=1",
    ),
    (
        "Vimeo",
        re.compile(r"https://(?:www\.|player\.)?vimeo\.com/(?:video/)?(\d+)"),
        "https://player.vimeo.com/video/{id}?autoplay=1&dnt=1",
    ),
    (
        "Dailymotion",
        re.compile(
            r"https://(?:www\.)?(?:dailymotion\.com/(?:embed/)?video/|dai\.ly/)([a-zA-Z0-9]+)"
        ),
        "https://www.dailymotion.com/embed/video/{id}?autoplay=1",
    ),
)
MP4 = re.compile(r"https://\S+\.mp4(?:\?\S*)?", re.IGNORECASE)


@dataclass(frozen=True)
class Player:
    """How a video plays: the provider's name and the address its player loads."""

    provider: str  # YouTube, Vimeo, Dailymotion or "MP4"
    src: str  # the embed URL of an iframe, or the MP4 file

    @property
    def is_file(self) -> bool:
        return self.provider == "MP4"


def player(url: str) -> Player | None:
    """The player of a video URL, or None when the site cannot show it."""
    for provider, pattern, embed in PROVIDERS:
        match = pattern.match(url)
        if match:
            return Player(provider, embed.format(id=match.group(1)))
    return Player("MP4", url) if MP4.fullmatch(url) else None
