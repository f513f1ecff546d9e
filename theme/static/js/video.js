// Video testimonials: the page links to the video; a click loads the player in its place.
// Nothing is requested from the video's site before that click.
document.querySelectorAll(".video[data-player]").forEach((box) => {
  const link = box.querySelector(".video-link");
  link.addEventListener("click", (event) => {
    event.preventDefault();
    let player;
    if (box.dataset.kind === "file") {
      player = document.createElement("video");
      player.controls = true;
      player.autoplay = true;
      player.src = box.dataset.player;
      if (box.dataset.captions) {
        const track = document.createElement("track");
        Object.assign(track, { kind: "captions", srclang: "fr", label: "Français", default: true });
        track.src = box.dataset.captions;
        player.append(track);
      }
    } else {
      player = document.createElement("iframe");
      player.src = box.dataset.player;
      player.allow = "autoplay; fullscreen; picture-in-picture";
      player.allowFullscreen = true;
    }
    player.title = box.dataset.title;
    player.className = "video-player";
    box.replaceChildren(player);
    player.focus();
  });
});
